// The gate: enrol the device, pick the gate, then scan badges (camera or a
// hand scanner typing the code) and show the verdict full screen.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { createClient } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createStore, del, delMany, entries, get, set } from "idb-keyval";
import { Code, ConnectError } from "@connectrpc/connect";
import jsQR from "jsqr";
import { AuthService } from "./gen/expopass/v1/auth_pb";
import { EventService, type Gate } from "./gen/expopass/v1/event_pb";
import { ConflictKind, Decision, DenyReason, Direction, GateService, type ScanConflict, type ScanResponse } from "./gen/expopass/v1/gate_pb";
import { decide, rulesOf, type Rules } from "./decide";
import { bearerOf, bufferedTransport, failure, webTransport } from "./api";
import { currentLang, explain, t, type Lang } from "./i18n";
import { LangPicker } from "./lang";
import "./gate_i18n";
import "./gate.css";

/**
 * How long the server has to answer a scan before the gate decides from its
 * bundle: 800 ms, or what `?deadline=<ms>` (200 to 5000) once set on this
 * device (kept, so that the installed app keeps it too).
 */
const DEADLINE_MS = (() => {
  const key = "expopass.gate.deadline";
  const asked = Number(new URLSearchParams(location.search).get("deadline"));
  if (Number.isInteger(asked) && asked >= 200 && asked <= 5000) localStorage.setItem(key, String(asked));
  const kept = Number(localStorage.getItem(key));
  return Number.isInteger(kept) && kept >= 200 && kept <= 5000 ? kept : 800;
})();
/** The same code read again within this is the same scan. */
const REPEAT_MS = 2000;
/** A hand scanner types faster than this between keys. */
const WEDGE_KEY_MS = 60;

let token: string | null = null;
const bearer = bearerOf(() => token);
const transport = webTransport(bearer);
const auth = createClient(AuthService, transport);
const events = createClient(EventService, transport);
const gates = createClient(GateService, transport);

// An upload of offline scans is a client stream; a browser sends it whole,
// in one gRPC-Web request body.
const uploads = createClient(GateService, bufferedTransport(bearer));

/** What this device is, kept in IndexedDB. */
interface Device {
  token: string;
  gateId: string;
  gateName: string;
  /** The gate's zone, to find its number in the bundle. */
  zoneCode: string;
  eventName: string;
}

/** A scan decided offline, kept in IndexedDB until the server has stored it. */
interface JournalEntry {
  nonce: string;
  gateId: string;
  qrText: string;
  direction: Direction;
  decision: Decision;
  reason: DenyReason;
  scannedAtMs: number;
}

/** The journal of offline scans, a store of its own, keyed by nonce. */
const journal = createStore("expopass-gate-journal", "scans");

/** Deny reasons an exit is refused for offline, as online (a badge that is not one). */
const REFUSES_EXIT = new Set(["MALFORMED", "UNKNOWN_KEY", "BAD_SIGNATURE", "WRONG_EVENT"]);

/** The newest bundle this device holds, ready to decide with. */
let rules: Rules | null = null;

async function useBundle(bytes: Uint8Array, version: bigint) {
  rules = await rulesOf(bytes);
  await set("bundle", { bytes, version: version.toString() });
}

/**
 * Fetches the gate's bundle: "ok", "unreachable", or why the server refused
 * (a revoked token, a gate removed).
 */
async function fetchBundle(gateId: string): Promise<"ok" | "unreachable" | { refused: string }> {
  try {
    const r = await gates.getOfflineBundle({ gateId }, { timeoutMs: 3000 });
    if (!rules || rules.bundle.version !== r.version) await useBundle(r.bundle, r.version);
    return "ok";
  } catch (err) {
    if (unreachable(err) || !refusesDevice(err)) return "unreachable";
    return { refused: explain(failure(err)) };
  }
}

/** Whether a failed call means the server could not be reached (rather than a refusal). */
function unreachable(err: unknown): boolean {
  const e = ConnectError.from(err);
  return [Code.Unavailable, Code.DeadlineExceeded, Code.Unknown, Code.Canceled, Code.Aborted].includes(e.code);
}

/** Whether a failed call says this device may not act for its gate any more. */
function refusesDevice(err: unknown): boolean {
  return [Code.Unauthenticated, Code.PermissionDenied, Code.NotFound].includes(ConnectError.from(err).code);
}

function randomNonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

type Verdict =
  | { kind: "allow"; r: ScanResponse; offline: boolean }
  | { kind: "deny"; r: ScanResponse; offline: boolean }
  | { kind: "noanswer" };

/** What the gate shows of its link to the server. */
interface Status {
  online: boolean;
  bundleVersion: string | null;
  pending: number;
  uploaded: { stored: number; duplicates: number; conflicts: ScanConflict[] } | null;
  /**
   * Why the server refused this device (its scans are then decided from the
   * bundle) or its last upload (the scans stay in the journal).
   */
  refused: { what: "device" | "upload"; why: string } | null;
}

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

  const langPicker = <LangPicker class="lang" lang={lang} onChange={changeLang} />;

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
  const [scanning, setScanning] = useState(false);
  const read = useRef(false);

  async function choose(gate: Gate, eventName: string) {
    if (!token) return;
    const d: Device = { token, gateId: gate.id, gateName: gate.name, zoneCode: gate.zoneCode, eventName };
    await set("device", d);
    props.onDone(d);
  }

  async function submit(e: Event) {
    e.preventDefault();
    await enrol(code);
  }

  /** The code's QR at the camera (`token enrol` prints it): enrol at once. */
  function scanned(text: string) {
    if (read.current) return;
    read.current = true;
    setScanning(false);
    setCode(text);
    enrol(text).finally(() => {
      read.current = false;
    });
  }

  async function enrol(code: string) {
    setError(null);
    setBusy(true);
    try {
      const r = await auth.enroll({ code, deviceName: name.trim() || t("gate.enrol.device.default"), roles: ["gate"] });
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
          <button class="big" type="button" onClick={() => setScanning(!scanning)}>
            {scanning ? t("gate.camera.stop") : t("gate.enrol.scan")}
          </button>
          {scanning && <Camera onCode={scanned} />}
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

  const [status, setStatus] = useState<Status>({ online: true, bundleVersion: null, pending: 0, uploaded: null, refused: null });
  const online = useRef(true);
  const uploading = useRef(false);

  async function countPending() {
    const n = (await entries(journal)).length;
    setStatus((s) => ({ ...s, pending: n }));
    return n;
  }

  /** Tells the server how this device stands (the operations board shows it). */
  async function report() {
    const pending = (await entries(journal)).length;
    await gates
      .reportGateStatus({ gateId: device.gateId, bundleVersion: rules?.bundle.version ?? 0n, pendingOffline: pending }, { timeoutMs: 3000 })
      .catch(() => undefined);
  }

  /** What a bundle fetch says of the link: up, gone, or refusing this device. */
  function reached(r: Awaited<ReturnType<typeof fetchBundle>>): boolean {
    if (typeof r === "object") {
      // The server answers, but not this device: scans go on from the
      // bundle, and the steward is told why.
      setStatus((s) => ({ ...s, refused: { what: "device", why: r.refused } }));
      goOnline(true);
      return false;
    }
    if (r === "ok") setStatus((s) => (s.refused?.what === "device" ? { ...s, refused: null } : s));
    goOnline(r === "ok");
    return r === "ok";
  }

  function goOnline(up: boolean) {
    online.current = up;
    setStatus((s) => ({ ...s, online: up, bundleVersion: rules ? rules.bundle.version.toString() : s.bundleVersion }));
  }

  /** Sends the journal; an entry leaves it only once the server stored it. */
  async function upload() {
    if (uploading.current) return;
    uploading.current = true;
    try {
      const all = await entries<string, JournalEntry>(journal);
      const mine = all.filter(([, e]) => e.gateId === device.gateId);
      if (mine.length === 0) return;
      const r = await uploads.uploadOfflineScans(
        (async function* () {
          for (const [, e] of mine) {
            yield {
              scan: {
                gateId: e.gateId,
                nonce: e.nonce,
                qrText: e.qrText,
                direction: e.direction,
                decision: e.decision,
                reason: e.reason,
                scannedAt: timestampFromMs(e.scannedAtMs),
              },
            };
          }
        })(),
        { timeoutMs: 30_000 },
      );
      // Stored now or before: the server has every one of them.
      if (r.stored + r.duplicates === mine.length) await delMany(mine.map(([k]) => k), journal);
      setStatus((s) => ({ ...s, refused: null, uploaded: { stored: r.stored, duplicates: r.duplicates, conflicts: r.conflicts } }));
    } catch (err) {
      if (unreachable(err)) goOnline(false);
      // Refused (a revoked token, a gate removed): nothing leaves the
      // journal, and the steward is told.
      else setStatus((s) => ({ ...s, refused: { what: "upload", why: explain(failure(err)) } }));
    } finally {
      uploading.current = false;
      await countPending();
      if (online.current) report();
    }
  }

  // The stored bundle at once (a gate may open offline), then the server's.
  useEffect(() => {
    let stop = false;
    (async () => {
      const stored = await get<{ bytes: Uint8Array; version: string }>("bundle");
      if (stored && !rules) rules = await rulesOf(stored.bytes);
      await countPending();
      // An upload (even of nothing) ends with a report of the device's state.
      if (reached(await fetchBundle(device.gateId))) await upload();
    })();
    // While offline, the server is asked every 2 s; online, every 30 s
    // (changes are pushed by WatchGate meanwhile).
    const probe = async () => {
      if (stop) return;
      const up = reached(await fetchBundle(device.gateId));
      if (up) await upload();
      window.setTimeout(probe, online.current ? 30_000 : 2_000);
    };
    const first = window.setTimeout(probe, 2_000);
    // Revocations, blocks and rule changes, pushed: the bundle is fetched
    // again at once.
    const watch = new AbortController();
    (async () => {
      while (!stop) {
        try {
          for await (const _ of gates.watchGate({ gateId: device.gateId }, { signal: watch.signal })) {
            reached(await fetchBundle(device.gateId));
          }
        } catch {
          // Gone or cut: try again shortly.
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    return () => {
      stop = true;
      window.clearTimeout(first);
      watch.abort();
    };
  }, [device.gateId]);

  /** The bundle's decision, journalled before it is shown. */
  async function decideOffline(text: string, direction: Direction): Promise<Verdict> {
    if (!rules) return { kind: "noanswer" };
    const zone = rules.bundle.zones.find((z) => z.code === device.zoneCode)?.number ?? null;
    const v = await decide(rules, text, zone, new Date());
    let deny = v.deny;
    if (direction === Direction.OUT && deny && !REFUSES_EXIT.has(deny)) deny = null;
    const entry: JournalEntry = {
      nonce: randomNonce(),
      gateId: device.gateId,
      qrText: text,
      direction,
      decision: deny ? Decision.DENY : Decision.ALLOW,
      reason: deny ? DenyReason[deny] : DenyReason.UNSPECIFIED,
      scannedAtMs: Date.now(),
    };
    await set(entry.nonce, entry, journal);
    countPending();
    const category = v.claims ? rules.bundle.categories.find((c) => c.number === v.claims?.category) : undefined;
    const serial = v.claims ? `${String(v.claims.serial).padStart(7, "0")}-${v.claims.version}` : "";
    const r = {
      decision: entry.decision,
      reason: entry.reason,
      categoryCode: category?.code ?? "",
      categoryColor: category?.color ?? "",
      badgeNumber: serial,
      holderName: "",
      holderPhoto: new Uint8Array(),
    } as ScanResponse;
    return { kind: deny ? "deny" : "allow", r, offline: true };
  }

  async function scan(text: string, started: number) {
    const now = performance.now();
    // The same code the same way within REPEAT_MS is one scan (a badge
    // held in view); turning the gate round makes it a new one.
    const key = `${dir.current}:${text}`;
    if (last.current && last.current.text === key && now - last.current.at < REPEAT_MS) return;
    last.current = { text: key, at: now };
    const direction = dir.current;
    let v: Verdict;
    if (!online.current) {
      // Offline: no waiting for the network.
      v = await decideOffline(text, direction);
    } else {
      try {
        const r = await gates.scan(
          { gateId: device.gateId, qrText: text, direction, nonce: randomNonce(), scannedAt: timestampFromMs(Date.now()) },
          { timeoutMs: DEADLINE_MS },
        );
        v = r.decision === Decision.ALLOW ? { kind: "allow", r, offline: false } : { kind: "deny", r, offline: false };
      } catch (err) {
        // Gone, overloaded, or refusing this device (a revoked token, a
        // gate removed): the bundle decides, and the scan is journalled.
        if (unreachable(err)) goOnline(false);
        else if (refusesDevice(err)) setStatus((s) => ({ ...s, refused: { what: "device", why: explain(failure(err)) } }));
        v = await decideOffline(text, direction);
      }
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
      {!status.online && (
        <div class="offline-banner" role="status">
          <strong>{t("gate.offline")}</strong> {t("gate.offline.help")}
        </div>
      )}
      {status.uploaded && status.uploaded.conflicts.length > 0 && (
        <div class="conflicts" role="status">
          <strong>{t("gate.conflicts")}</strong>
          <ul>
            {status.uploaded.conflicts.map((c, i) => (
              <li key={i} data-kind={ConflictKind[c.kind]}>
                {c.badgeNumber && <strong>{c.badgeNumber}: </strong>}
                {t(`conflict.${ConflictKind[c.kind] ?? "UNSPECIFIED"}`)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {status.refused && (
        <div class="conflicts refused" role="alert">
          {t(status.refused.what === "device" ? "gate.device.refused" : "gate.upload.refused", { why: status.refused.why })}
        </div>
      )}
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
        <span class="state" data-online={String(status.online)} data-pending={status.pending} data-bundle={status.bundleVersion ?? ""}>
          {status.bundleVersion ? t("gate.bundle", { version: status.bundleVersion }) : t("gate.bundle.none")} ·{" "}
          {t("gate.pending", { n: String(status.pending) })}
          {status.uploaded && <> · {t("gate.uploaded", { n: String(status.uploaded.stored) })}</>}
        </span>
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
    <section class={`verdict ${v.kind}`} role="alert" aria-live="assertive" onClick={props.onDismiss} data-offline={String(v.offline)} data-decision={v.kind === "allow" ? "ALLOW" : "DENY"} data-reason={v.kind === "deny" ? reason : ""}>
      <h1>{v.kind === "allow" ? t("gate.allow") : t("gate.deny")}</h1>
      {v.kind === "deny" && <p class="reason">{t(`deny.${reason}`)}</p>}
      {v.offline && <p class="offline-note">{t("gate.offline.verdict")}</p>}
      {r.categoryCode && (
        <p class="category" style={{ background: r.categoryColor || "#555" }}>
          {r.categoryCode}
        </p>
      )}
      {r.holderPhoto.length > 0 && <Photo jpeg={r.holderPhoto} />}
      {r.holderName && <p class="holder">{r.holderName}</p>}
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

// The page opens with no network after its first visit.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => undefined);
}
