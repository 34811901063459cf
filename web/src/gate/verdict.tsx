// The verdict, full screen and with a sound: green with the category for an
// entry allowed, red with the reason for a refusal.
import { useEffect, useState } from "preact/hooks";
import { DenyReason, Direction } from "../gen/expopass/v1/gate_pb";
import { denyText, formatDay, t } from "../i18n";
import type { Verdict } from "./store";

let audio: AudioContext | null = null;

/** One high note for an allowed passage, two low ones for a refusal. */
export function beep(ok: boolean) {
  try {
    audio ??= new AudioContext();
    const notes = ok ? [[880, 0, 0.12]] : [[220, 0, 0.15], [220, 0.22, 0.15]];
    for (const [freq, at, len] of notes) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.type = ok ? "sine" : "square";
      o.frequency.value = freq;
      g.gain.value = 0.2;
      o.connect(g).connect(audio.destination);
      o.start(audio.currentTime + at);
      o.stop(audio.currentTime + at + len);
    }
  } catch {
    // No sound device: the screen still says it.
  }
}

/** The verdict, full screen; a tap dismisses it before its time. */
export function VerdictView(props: { v: Verdict; onDismiss(): void; categoryName(code: string): string }) {
  const { v } = props;
  if (v.kind === "noanswer") {
    return (
      <section class="verdict noanswer" role="alert" aria-live="assertive" onClick={props.onDismiss}>
        <h1>{t("gate.noanswer")}</h1>
      </section>
    );
  }
  const r = v.r;
  const reason = DenyReason[r.reason] ?? "";
  // An exit is recorded, not admitted: a screen of its own.
  const exit = v.kind === "allow" && v.direction === Direction.OUT;
  return (
    <section class={`verdict ${exit ? "exit" : v.kind}`} role="alert" aria-live="assertive" onClick={props.onDismiss} data-offline={String(v.offline)} data-decision={v.kind === "allow" ? "ALLOW" : "DENY"} data-direction={v.direction === Direction.OUT ? "OUT" : "IN"} data-reason={v.kind === "deny" ? reason : ""}>
      <h1>{exit ? t("gate.exit") : v.kind === "allow" ? t("gate.allow") : t("gate.deny")}</h1>
      {v.kind === "deny" && <p class="reason">{denyText(reason)}</p>}
      {v.kind === "deny" && v.validDays && v.validDays.length > 0 && (
        <p class="days">{t("gate.valid_days", { days: v.validDays.map((d) => formatDay(d)).join(", ") })}</p>
      )}
      {v.offline && <p class="offline-note">{t("gate.offline.verdict")}</p>}
      {r.categoryCode && (
        <>
          <p class="category" data-code={r.categoryCode} style={{ background: r.categoryColor || "#555" }}>
            {props.categoryName(r.categoryCode)}
          </p>
          <p class="category-code">{r.categoryCode}</p>
        </>
      )}
      {r.holderPhoto.length > 0 && <Photo jpeg={r.holderPhoto} />}
      {r.holderName && <p class="holder">{r.holderName}</p>}
      {r.notes.length > 0 && (
        <ul class="notes">
          {r.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {r.badgeNumber && <p class="number">{r.badgeNumber}</p>}
    </section>
  );
}

/** The holder's photo, as the server sent it with an entry allowed. */
function Photo(props: { jpeg: Uint8Array }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const u = URL.createObjectURL(new Blob([props.jpeg as BlobPart], { type: "image/jpeg" }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [props.jpeg]);
  return url ? <img class="photo" src={url} alt={t("gate.photo")} /> : null;
}
