// The gate: enrol the device, pick the gate, then scan badges (camera or a
// hand scanner typing the code) and show the verdict full screen. The
// pieces: `gate/store.ts` (the state and its transitions), `gate/sync.ts`
// (bundle, upload, reports), `gate/journal.ts` (offline scans),
// `gate/scan.ts` (one scan), `gate/wedge.ts` and `gate/camera.tsx` (the
// two ways codes come in), `gate/verdict.tsx` (what the steward sees).
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { del, get, set } from "idb-keyval";
import type { Gate } from "./gen/expopass/v1/event_pb";
import { ConflictKind, Direction } from "./gen/expopass/v1/gate_pb";
import { failure } from "./api";
import { conflictText, currentLang, explain, localName, t, type Lang } from "./i18n";
import { LangPicker } from "./lang";
import { connect, memoryToken } from "./session";
import { Camera } from "./gate/camera";
import { decideScan, type ScanContext } from "./gate/scan";
import { bundleVersion, RepeatGuard, Store, type GateState } from "./gate/store";
import { Sync } from "./gate/sync";
import { VerdictView, beep } from "./gate/verdict";
import { listenForBursts } from "./gate/wedge";
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

/** The device's token, kept in IndexedDB with the device and held here. */
const token = memoryToken();
const clients = connect(token, currentLang);

/** What this device is, kept in IndexedDB. */
interface Device {
  token: string;
  gateId: string;
  gateName: string;
  /** The gate's code, shown in the header. */
  gateCode?: string;
  /** The gate's zone, to find its number in the bundle. */
  zoneCode: string;
  eventName: string;
}

/** The store's state, as a component sees it. */
function useGate(store: Store): GateState {
  const [state, setState] = useState(store.state);
  useEffect(() => store.subscribe(setState), [store]);
  return state;
}

function GateApp() {
  const [lang, changeLang] = useState<Lang>(currentLang());
  const [device, setDevice] = useState<Device | null | undefined>(undefined);
  useEffect(() => {
    get<Device>("device").then((d) => {
      if (d) token.set(d.token);
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
        token.clear();
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
    const held = token.get();
    if (!held) return;
    const d: Device = { token: held, gateId: gate.id, gateName: gate.name, gateCode: gate.code, zoneCode: gate.zoneCode, eventName };
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
      const r = await clients.auth.enroll({ code, deviceName: name.trim() || t("gate.enrol.device.default"), roles: ["gate"] });
      if (r.role !== "gate") {
        setError(t("gate.enrol.desk"));
        return;
      }
      token.set(r.token);
      const list = await clients.events.listEvents({});
      const event = list.events[0];
      if (!event) return setError(t("gate.none"));
      const gs = (await clients.events.listGates({ eventId: event.id })).gates;
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

function Scanner(props: { device: Device; langPicker: preact.ComponentChildren; onForget(): void }) {
  const { device } = props;
  const store = useRef(new Store()).current;
  const state = useGate(store);
  const [camera, setCamera] = useState(false);
  const guard = useRef(new RepeatGuard()).current;
  const clear = useRef<number | undefined>(undefined);
  const sync = useRef(new Sync(clients, store, device.gateId)).current;

  useEffect(() => sync.start(), [device.gateId]);

  const ctx: ScanContext = {
    clients,
    store,
    gateId: device.gateId,
    zoneCode: device.zoneCode,
    deadlineMs: DEADLINE_MS,
    journalled: () => void sync.countPending(),
  };

  async function scan(text: string, started: number) {
    const direction = store.state.direction;
    if (!guard.fresh(text, direction, performance.now())) return;
    const verdict = await decideScan(ctx, text, direction);
    store.dispatch({ type: "verdict", verdict });
    beep(verdict.kind === "allow");
    requestAnimationFrame(() => performance.measure("expopass:verdict", { start: started, end: performance.now() }));
    window.clearTimeout(clear.current);
    clear.current = window.setTimeout(() => store.dispatch({ type: "dismiss" }), 2500);
  }

  // A hand scanner types the code: read from the whole page, whatever has focus.
  useEffect(() => listenForBursts((text, at) => void scan(text, at)), [device.gateId]);

  const { verdict, direction } = state;
  const version = bundleVersion(state);
  return (
    <main class={verdict ? `scanner ${verdict.kind}` : "scanner"}>
      <header class="bar">
        <strong>{device.eventName}</strong>
        <span class="gate-name">
          {device.gateCode && <span class="gate-code">{device.gateCode}</span>} {device.gateName}
        </span>
        <span class={state.online ? "link-state online" : "link-state offline"} role="status">
          {state.online ? t("gate.online.word") : t("gate.offline.word")}
        </span>
        {props.langPicker}
      </header>
      {!state.online && (
        <div class="offline-banner" role="status">
          <strong>{t("gate.offline")}</strong> {t("gate.offline.help")}
        </div>
      )}
      {state.uploaded && state.uploaded.conflicts.length > 0 && (
        <div class="conflicts" role="status">
          <strong>{t("gate.conflicts")}</strong>
          <ul>
            {state.uploaded.conflicts.map((c, i) => (
              <li key={i} data-kind={ConflictKind[c.kind]}>
                {c.badgeNumber && <strong>{c.badgeNumber}: </strong>}
                {conflictText(ConflictKind[c.kind])}
              </li>
            ))}
          </ul>
        </div>
      )}
      {state.refused && (
        <div class="conflicts refused" role="alert">
          {t(state.refused.what === "device" ? "gate.device.refused" : "gate.upload.refused", { why: state.refused.why })}
        </div>
      )}
      <div class="direction" role="group" aria-label={t("gate.direction")}>
        <button aria-pressed={direction === Direction.IN} onClick={() => store.dispatch({ type: "direction", direction: Direction.IN })}>
          {t("gate.in")}
        </button>
        <button aria-pressed={direction === Direction.OUT} onClick={() => store.dispatch({ type: "direction", direction: Direction.OUT })}>
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
          categoryName={(code) => {
            const c = state.rules?.bundle.categories.find((x) => x.code === code);
            return c ? localName(c) : code;
          }}
          onDismiss={() => {
            window.clearTimeout(clear.current);
            store.dispatch({ type: "dismiss" });
          }}
        />
      ) : (
        <p class="ready">{t("gate.ready")}</p>
      )}
      <footer>
        <span class="state" data-online={String(state.online)} data-pending={state.pending} data-bundle={version ?? ""}>
          {version ? t("gate.bundle", { version }) : t("gate.bundle.none")} · {t("gate.pending", { n: state.pending })}
          {state.uploaded && <> · {t("gate.uploaded", { n: state.uploaded.stored })}</>}
        </span>
        <button class="link" onClick={() => confirm(t("gate.forget.confirm")) && props.onForget()}>
          {t("gate.forget")}
        </button>
      </footer>
    </main>
  );
}

const root = document.getElementById("gate");
if (root) render(<GateApp />, root);

// The page opens with no network after its first visit.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => undefined);
}
