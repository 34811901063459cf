// The gate: enrol the device, pick the gate, then scan badges (camera or a
// hand scanner typing the code) and show the verdict full screen.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { get, set, del } from "idb-keyval";
import jsQR from "jsqr";
import { AuthService } from "./gen/expopass/v1/auth_pb";
import { EventService, type Gate } from "./gen/expopass/v1/event_pb";
import { Decision, DenyReason, Direction, GateService, type ScanResponse } from "./gen/expopass/v1/gate_pb";
import { failure } from "./api";
import { LANGS, LANG_NAMES, currentLang, explain, setLang, t, type Lang } from "./i18n";
import "./gate_i18n";
import "./gate.css";

/** How long the server has to answer a scan before the gate stops waiting. */
const DEADLINE_MS = 800;
/** The same code read again within this is the same scan. */
const REPEAT_MS = 2000;
/** A hand scanner types faster than this between keys. */
const WEDGE_KEY_MS = 60;

let token: string | null = null;
const bearer: Interceptor = (next) => async (req) => {
  if (token) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};
const transport = createGrpcWebTransport({ baseUrl: location.origin, interceptors: [bearer] });
const auth = createClient(AuthService, transport);
const events = createClient(EventService, transport);
const gates = createClient(GateService, transport);

/** What this device is, kept in IndexedDB. */
interface Device {
  token: string;
  gateId: string;
  gateName: string;
  eventName: string;
}

function randomNonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

type Verdict =
  | { kind: "allow"; r: ScanResponse }
  | { kind: "deny"; r: ScanResponse }
  | { kind: "noanswer" };

function GateApp() {
  const [lang, changeLang] = useState<Lang>(currentLang());
  const [device, setDevice] = useState<Device | null | undefined>(undefined);
  useEffect(() => {
    get<Device>("device").then((d) => {
      token = d?.token ?? null;
      setDevice(d ?? null);
    });
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t("gate.title");
  }, [lang]);

  const langPicker = (
    <select
      class="lang"
      aria-label={t("language")}
      value={lang}
      onChange={(e) => {
        const l = (e.target as HTMLSelectElement).value as Lang;
        setLang(l);
        changeLang(l);
      }}
    >
      {LANGS.map((l) => (
        <option value={l} key={l}>
          {LANG_NAMES[l]}
        </option>
      ))}
    </select>
  );

  if (device === undefined) return null;
  if (device === null) return <Enrol langPicker={langPicker} onDone={setDevice} />;
  return (
    <Scanner
      device={device}
      langPicker={langPicker}
      onForget={async () => {
        await del("device");
        token = null;
        setDevice(null);
      }}
    />
  );
}

function Enrol(props: { langPicker: preact.ComponentChildren; onDone(d: Device): void }) {
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [choices, setChoices] = useState<{ gates: Gate[]; eventName: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(gate: Gate, eventName: string) {
    if (!token) return;
    const d: Device = { token, gateId: gate.id, gateName: gate.name, eventName };
    await set("device", d);
    props.onDone(d);
  }

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await auth.enroll({ code, deviceName: name.trim() || t("gate.enrol.device.default") });
      if (r.role !== "gate") {
        setError(t("gate.enrol.desk"));
        return;
      }
      token = r.token;
      const list = await events.listEvents({});
      const event = list.events[0];
      if (!event) return setError(t("gate.none"));
      const gs = (await events.listGates({ eventId: event.id })).gates;
      if (gs.length === 0) return setError(t("gate.none"));
      if (gs.length === 1) return choose(gs[0], event.name);
      setChoices({ gates: gs, eventName: event.name });
    } catch (err) {
      setError(explain(failure(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="setup">
      <header class="bar">
        <strong>Expopass</strong>
        {props.langPicker}
      </header>
      {choices ? (
        <section class="card">
          <h1>{t("gate.pick")}</h1>
          <ul class="gates">
            {choices.gates.map((g) => (
              <li key={g.id}>
                <button class="big" onClick={() => choose(g, choices.eventName)}>
                  {g.name} <span>{g.code}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : (
        <form class="card" onSubmit={submit}>
          <h1>{t("gate.enrol.title")}</h1>
          <p>{t("gate.enrol.help")}</p>
          <label for="gate-code">{t("gate.enrol.code")}</label>
          <input id="gate-code" autocomplete="off" spellcheck={false} value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} autoFocus />
          <label for="gate-device">{t("gate.enrol.device")}</label>
          <input id="gate-device" value={name} placeholder={t("gate.enrol.device.default")} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button class="big primary" type="submit" disabled={busy}>
            {t("gate.enrol.submit")}
          </button>
        </form>
      )}
    </main>
  );
}

let audio: AudioContext | null = null;
function beep(ok: boolean) {
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

function Scanner(props: { device: Device; langPicker: preact.ComponentChildren; onForget(): void }) {
  const { device } = props;
  const [direction, setDirection] = useState<Direction>(Direction.IN);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [camera, setCamera] = useState(false);
  const last = useRef<{ text: string; at: number } | null>(null);
  const dir = useRef(direction);
  dir.current = direction;
  const clear = useRef<number | undefined>(undefined);

  async function scan(text: string, started: number) {
    const now = performance.now();
    // The same code the same way within REPEAT_MS is one scan (a badge
    // held in view); turning the gate round makes it a new one.
    const key = `${dir.current}:${text}`;
    if (last.current && last.current.text === key && now - last.current.at < REPEAT_MS) return;
    last.current = { text: key, at: now };
    let v: Verdict;
    try {
      const r = await gates.scan(
        { gateId: device.gateId, qrText: text, direction: dir.current, nonce: randomNonce(), scannedAt: timestampNow() },
        { timeoutMs: DEADLINE_MS },
      );
      v = r.decision === Decision.ALLOW ? { kind: "allow", r } : { kind: "deny", r };
    } catch {
      v = { kind: "noanswer" };
    }
    setVerdict(v);
    beep(v.kind === "allow");
    requestAnimationFrame(() => performance.measure("expopass:verdict", { start: started, end: performance.now() }));
    window.clearTimeout(clear.current);
    clear.current = window.setTimeout(() => setVerdict(null), 2500);
  }

  // A hand scanner is a keyboard that types the code fast and ends it with
  // Enter or Tab.
  useEffect(() => {
    let buffer = "";
    let first = 0;
    let prev = 0;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest("input, textarea, select")) return;
      const now = performance.now();
      if (e.key === "Enter" || e.key === "Tab") {
        const fast = buffer.length >= 8 && (now - first) / buffer.length < WEDGE_KEY_MS;
        if (fast) {
          e.preventDefault();
          // Timed from the end of the code, as a camera read is.
          scan(buffer, now);
        }
        buffer = "";
        return;
      }
      if (e.key.length !== 1) return;
      if (now - prev > 500) {
        buffer = "";
        first = now;
      }
      prev = now;
      buffer += e.key;
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [device.gateId]);

  return (
    <main class={verdict ? `scanner ${verdict.kind}` : "scanner"}>
      <header class="bar">
        <strong>{device.eventName}</strong>
        <span class="gate-name">{device.gateName}</span>
        {props.langPicker}
      </header>
      <div class="direction" role="group" aria-label={t("gate.direction")}>
        <button aria-pressed={direction === Direction.IN} onClick={() => setDirection(Direction.IN)}>
          {t("gate.in")}
        </button>
        <button aria-pressed={direction === Direction.OUT} onClick={() => setDirection(Direction.OUT)}>
          {t("gate.out")}
        </button>
      </div>
      {camera && <Camera onCode={scan} />}
      <div class="controls">
        <button class="big" onClick={() => setCamera(!camera)}>
          {camera ? t("gate.camera.stop") : t("gate.camera.start")}
        </button>
        <p class="hint">{t("gate.wedge")}</p>
      </div>
      {verdict ? (
        <VerdictView
          v={verdict}
          onDismiss={() => {
            window.clearTimeout(clear.current);
            setVerdict(null);
          }}
        />
      ) : (
        <p class="ready">{t("gate.ready")}</p>
      )}
      <footer>
        <button class="link" onClick={() => confirm(t("gate.forget.confirm")) && props.onForget()}>
          {t("gate.forget")}
        </button>
      </footer>
    </main>
  );
}

/** The verdict, full screen; a tap dismisses it before its time. */
function VerdictView(props: { v: Verdict; onDismiss(): void }) {
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
  return (
    <section class={`verdict ${v.kind}`} role="alert" aria-live="assertive" onClick={props.onDismiss} data-decision={v.kind === "allow" ? "ALLOW" : "DENY"} data-reason={v.kind === "deny" ? reason : ""}>
      <h1>{v.kind === "allow" ? t("gate.allow") : t("gate.deny")}</h1>
      {v.kind === "deny" && <p class="reason">{t(`deny.${reason}`)}</p>}
      {r.categoryCode && (
        <p class="category" style={{ background: r.categoryColor || "#555" }}>
          {r.categoryCode}
        </p>
      )}
      {r.holderName && <p class="holder">{r.holderName}</p>}
      {r.badgeNumber && <p class="number">{r.badgeNumber}</p>}
    </section>
  );
}

/** The camera, read frame by frame by a QR decoder. */
function Camera(props: { onCode(text: string, started: number): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let running = true;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = () => {
      if (!running) return;
      const v = video.current;
      if (v && ctx && v.readyState >= 2 && v.videoWidth) {
        const started = performance.now();
        const scale = Math.min(1, 800 / v.videoWidth);
        canvas.width = Math.round(v.videoWidth * scale);
        canvas.height = Math.round(v.videoHeight * scale);
        ctx.drawImage(v, 0, 0, canvas.width, canvas.height);
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const code = jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
        if (code?.data) props.onCode(code.data, started);
      }
      requestAnimationFrame(tick);
    };
    navigator.mediaDevices
      ?.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false })
      .then((s) => {
        stream = s;
        if (video.current) video.current.srcObject = s;
        requestAnimationFrame(tick);
      })
      .catch(() => setError(t("camera.denied")));
    return () => {
      running = false;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, []);
  return (
    <div class="camera">
      {error ? <p class="error">{error}</p> : <video ref={video} autoPlay playsInline muted aria-label={t("camera.preview")} />}
    </div>
  );
}

const root = document.getElementById("gate");
if (root) render(<GateApp />, root);
