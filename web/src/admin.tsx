// The organiser's console (an admin token): events and their set-up
// (zones, categories, gates, the event file), delegations and
// organisations, devices (tokens, enrolment codes, signing keys), numbers
// and exports, and the audit trail.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Category, Event, FieldDefinition, Gate, Zone, GetRegistrationStatsResponse, SigningKey, EventChange } from "./gen/expopass/v1/event_pb";
import { BadgeLayout } from "./gen/expopass/v1/badge_pb";
import { BadgeState, ExportFormat, OrganizationKind, ParticipantStatus, type Delegation, type Organization } from "./gen/expopass/v1/registration_pb";
import type { ApiToken } from "./gen/expopass/v1/token_pb";
import type { AuditEntry } from "./gen/expopass/v1/audit_pb";
import { failure, requestId, type Failure } from "./api";
import { connect, tabToken } from "./session";
import { COUNTRY_CODES, countryName, currentLang, explain, formatTime, known, localName, t, type Key, type Lang } from "./i18n";
import { LangPicker } from "./lang";
import { download } from "./ui";
import "./app.css";
import "./admin.css";

const adminToken = tabToken("expopass.admin.token");
const api = connect(adminToken, currentLang);

type Tab = "setup" | "fields" | "delegations" | "devices" | "numbers" | "audit";
const TABS: Tab[] = ["setup", "fields", "delegations", "devices", "numbers", "audit"];

/** A failed call as a form shows it: the message, and each field's problem. */
interface Problem {
  message: string;
  fields: Record<string, string>;
}

function problemOf(e: unknown): Problem {
  const f: Failure = failure(e);
  return { message: explain(f), fields: f.fields };
}

/** A field's problem, under the field (`field` as the server names it). */
function FieldProblem(props: { problem: Problem | null; field: string; id?: string }) {
  const text = props.problem?.fields[props.field];
  if (!text) return null;
  return (
    <span class="field-error" id={props.id} data-field={props.field}>
      {text}
    </span>
  );
}

/** The problem of a form: its message, and the fields no input shows. */
function FormProblem(props: { problem: Problem | null; shown?: string[] }) {
  const p = props.problem;
  if (!p) return null;
  const rest = Object.entries(p.fields).filter(([f]) => !(props.shown ?? []).includes(f));
  return (
    <div class="problem" role="alert">
      <p>{p.message}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map(([f, text]) => (
            <li key={f} data-field={f}>
              <code>{f}</code>: {text}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A labelled input whose server-side problem shows under it. */
function Field(props: {
  id: string;
  label: string;
  field: string;
  value: string;
  problem: Problem | null;
  onInput(v: string): void;
  type?: string;
  list?: string;
  placeholder?: string;
  autoFocus?: boolean;
}) {
  const bad = !!props.problem?.fields[props.field];
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.field}
        type={(props.type ?? "text") as "text"}
        list={props.list}
        value={props.value}
        placeholder={props.placeholder}
        autoFocus={props.autoFocus}
        aria-invalid={bad ? "true" : undefined}
        aria-describedby={bad ? `${props.id}-error` : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      <FieldProblem problem={props.problem} field={props.field} id={`${props.id}-error`} />
    </div>
  );
}


function Admin() {
  const [lang, changeLang] = useState<Lang>(currentLang());
  const [signedIn, setSignedIn] = useState(adminToken.get() !== null);
  const [events, setEvents] = useState<Event[] | null>(null);
  const [eventId, setEventId] = useState<string | null>(sessionStorage.getItem("expopass.admin.event"));
  const [tab, setTab] = useState<Tab>("setup");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t("admin.title");
  }, [lang]);

  function loadEvents() {
    api.events
      .listEvents({})
      .then((r) => setEvents(r.events))
      .catch((e) => {
        const f = failure(e);
        setError(explain(f));
        if (f.code === 16 || f.code === 7) signOut();
      });
  }
  useEffect(() => {
    if (signedIn) loadEvents();
  }, [signedIn]);

  function choose(id: string | null) {
    if (id) sessionStorage.setItem("expopass.admin.event", id);
    else sessionStorage.removeItem("expopass.admin.event");
    setEventId(id);
    setTab("setup");
  }
  function signOut() {
    adminToken.clear();
    sessionStorage.removeItem("expopass.admin.event");
    setSignedIn(false);
    setEvents(null);
    setEventId(null);
  }

  const picker = <LangPicker lang={lang} onChange={changeLang} />;
  if (!signedIn) {
    return (
      <Shell right={picker}>
        <SignIn
          error={error}
          onSignedIn={() => {
            setError(null);
            setSignedIn(true);
          }}
        />
      </Shell>
    );
  }
  const event = events?.find((e) => e.id === eventId);
  const right = (
    <>
      {picker}
      <button class="link" onClick={signOut}>
        {t("signout")}
      </button>
    </>
  );
  if (!event) {
    return (
      <Shell right={right}>
        <EventsScreen
          events={events}
          error={error}
          onOpen={(id) => choose(id)}
          onCreated={(id) => {
            loadEvents();
            choose(id);
          }}
        />
      </Shell>
    );
  }
  const center = (
    <>
      <button class="link" onClick={() => choose(null)} title={t("admin.events")}>
        {t("admin.events")}
      </button>
      <span class="event-name">{event.name}</span>
      <nav aria-label={t("admin.sections")}>
        {TABS.map((x) => (
          <button key={x} class={tab === x ? "tab active" : "tab"} aria-current={tab === x ? "page" : undefined} onClick={() => setTab(x)}>
            {t(`admin.tab.${x}` as Key)}
          </button>
        ))}
      </nav>
    </>
  );
  return (
    <Shell right={right} center={center}>
      {tab === "setup" && <SetupTab key={event.id} event={event} onChanged={loadEvents} />}
      {tab === "fields" && <FieldsTab key={event.id} event={event} />}
      {tab === "delegations" && <DelegationsTab key={event.id} event={event} />}
      {tab === "devices" && <DevicesTab key={event.id} event={event} />}
      {tab === "numbers" && <NumbersTab key={event.id} event={event} />}
      {tab === "audit" && <AuditTab key={event.id} event={event} />}
    </Shell>
  );
}

function Shell(props: { right?: preact.ComponentChildren; center?: preact.ComponentChildren; children: preact.ComponentChildren }) {
  return (
    <>
      <header class="top">
        <span class="brand">Expopass · {t("admin.brand")}</span>
        <div class="center">{props.center}</div>
        <div class="right">{props.right}</div>
      </header>
      <main id="main">{props.children}</main>
    </>
  );
}

/** An admin token, or an admin enrolment code turned into one. */
function SignIn(props: { error: string | null; onSignedIn(): void }) {
  const [mode, setMode] = useState<"token" | "code">("token");
  const [token, setToken] = useState("");
  const [code, setCode] = useState("");
  const [device, setDevice] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: globalThis.Event) {
    e.preventDefault();
    setError(null);
    if (mode === "token") {
      if (!token.trim()) return setError(t("admin.signin.token.empty"));
      adminToken.set(token.trim());
      props.onSignedIn();
      return;
    }
    if (!code.trim()) return setError(t("signin.code.empty"));
    setBusy(true);
    try {
      const r = await api.auth.enroll({ code, deviceName: device.trim() || t("admin.signin.device.default"), roles: ["admin"] });
      adminToken.set(r.token);
      props.onSignedIn();
    } catch (err) {
      setError(explain(failure(err)));
    } finally {
      setBusy(false);
    }
  }
  const shown = error ?? props.error;
  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">{t("admin.signin.title")}</h1>
      <div class="segmented" role="group" aria-label={t("signin.how")}>
        <button type="button" aria-pressed={mode === "token"} onClick={() => setMode("token")}>
          {t("admin.signin.with.token")}
        </button>
        <button type="button" aria-pressed={mode === "code"} onClick={() => setMode("code")}>
          {t("signin.with.code")}
        </button>
      </div>
      <form onSubmit={submit} class="stack">
        {mode === "token" ? (
          <>
            <label for="admin-token">{t("admin.signin.token")}</label>
            <input id="admin-token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} autoFocus />
          </>
        ) : (
          <>
            <label for="enrol-code">{t("signin.code")}</label>
            <input id="enrol-code" autocomplete="off" spellcheck={false} value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} autoFocus />
            <label for="device-name">{t("admin.signin.device")}</label>
            <input id="device-name" value={device} placeholder={t("admin.signin.device.default")} onInput={(e) => setDevice((e.target as HTMLInputElement).value)} />
          </>
        )}
        {shown && (
          <p class="error" role="alert">
            {shown}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {t("signin.submit")}
        </button>
      </form>
    </section>
  );
}

/** Every event, a new one, or one set up from a file. */
function EventsScreen(props: { events: Event[] | null; error: string | null; onOpen(id: string): void; onCreated(id: string): void }) {
  const [form, setForm] = useState({ code: "", name: "", venue: "", timeZone: "Asia/Tashkent", firstDay: "", lastDay: "" });
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  async function create(e: globalThis.Event) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const r = await api.events.createEvent({ ...form, namesAtGates: false, photosAtGates: false });
      if (r.event) props.onCreated(r.event.id);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="admin-grid">
      <section class="pane" aria-labelledby="events-title">
        <h1 id="events-title">{t("admin.events")}</h1>
        {props.error && (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
        {!props.events && !props.error && <p>{t("loading")}</p>}
        {props.events?.length === 0 && <p class="empty">{t("admin.events.none")}</p>}
        <ul class="events">
          {props.events?.map((e) => (
            <li key={e.id}>
              <button class="event" onClick={() => props.onOpen(e.id)}>
                <strong>{e.name}</strong>
                <span>
                  {e.code} · {e.venue} · {e.firstDay} – {e.lastDay} · {e.timeZone}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section class="pane" aria-labelledby="new-event-title">
        <h2 id="new-event-title">{t("admin.event.new")}</h2>
        <form class="form-grid" onSubmit={create}>
          <Field id="ev-code" label={t("admin.event.code")} field="code" value={form.code} problem={problem} onInput={set("code")} placeholder="INNOPROM-2026" />
          <Field id="ev-name" label={t("admin.event.name")} field="name" value={form.name} problem={problem} onInput={set("name")} />
          <Field id="ev-venue" label={t("admin.event.venue")} field="venue" value={form.venue} problem={problem} onInput={set("venue")} />
          <Field id="ev-tz" label={t("admin.event.tz")} field="time_zone" value={form.timeZone} problem={problem} onInput={set("timeZone")} />
          <Field id="ev-first" label={t("admin.event.first")} field="first_day" type="date" value={form.firstDay} problem={problem} onInput={set("firstDay")} />
          <Field id="ev-last" label={t("admin.event.last")} field="last_day" type="date" value={form.lastDay} problem={problem} onInput={set("lastDay")} />
          <div class="wide">
            <FormProblem problem={problem} shown={["code", "name", "venue", "time_zone", "first_day", "last_day"]} />
            <button class="primary" type="submit" disabled={busy}>
              {t("admin.event.create")}
            </button>
          </div>
        </form>
      </section>
      <section class="pane" aria-labelledby="file-title">
        <h2 id="file-title">{t("admin.file.new")}</h2>
        <p class="hint">{t("admin.file.new.hint")}</p>
        <EventFile onApplied={props.onCreated} />
      </section>
    </div>
  );
}

/** An event file uploaded: its plan first, then applied. */
function EventFile(props: { event?: Event; onApplied(id: string): void }) {
  const [file, setFile] = useState<{ name: string; content: Uint8Array } | null>(null);
  const [plan, setPlan] = useState<EventChange[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(content: Uint8Array, dryRun: boolean) {
    setBusy(true);
    setProblem(null);
    try {
      const r = await api.events.applyEventDefinition({ content, dryRun, eventCode: "" });
      if (dryRun) {
        setPlan(r.changes);
      } else {
        setPlan(null);
        setFile(null);
        setDone(r.changes.length === 0 ? t("admin.file.nothing") : t("admin.file.applied", { n: r.changes.length }));
        props.onApplied(r.eventId);
      }
    } catch (err) {
      setProblem(problemOf(err));
      setPlan(null);
    } finally {
      setBusy(false);
    }
  }
  async function choose(e: globalThis.Event) {
    const input = e.target as HTMLInputElement;
    const f = input.files?.[0];
    setDone(null);
    setPlan(null);
    setProblem(null);
    if (!f) return;
    const content = new Uint8Array(await f.arrayBuffer());
    setFile({ name: f.name, content });
    await run(content, true);
  }
  async function exportFile() {
    if (!props.event) return;
    try {
      const r = await api.events.exportEventDefinition({ eventCode: props.event.code });
      download(r.content, `${props.event.code}.toml`, "application/toml");
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  const id = props.event ? "event-file" : "new-event-file";
  return (
    <div class="stack">
      <div class="actions">
        {/* The input first: its focus ring is drawn on the label after it. */}
        <input id={id} class="file-input" type="file" accept=".toml,text/plain" onChange={choose} />
        <label class="file-button" for={id}>
          {t("admin.file.upload")}
        </label>
        {props.event && <button onClick={exportFile}>{t("admin.file.download")}</button>}
      </div>
      {busy && <p>{t("loading")}</p>}
      {problem && (
        <div class="problem" role="alert" data-testid="file-problems">
          <p>{problem.message}</p>
          <ul>
            {Object.entries(problem.fields).map(([f, text]) => (
              <li key={f}>
                <code>{f}</code>: {text}
              </li>
            ))}
          </ul>
        </div>
      )}
      {plan && file && (
        <div class="plan">
          <h3>{t("admin.file.plan", { file: file.name })}</h3>
          {plan.length === 0 ? (
            <p>{t("admin.file.nothing")}</p>
          ) : (
            <ul class="plan-list">
              {plan.map((c, i) => (
                <li key={i}>
                  <span class={`chip ${c.action === "create" ? "ok" : c.action === "remove" ? "bad" : "warn"}`}>{known(`admin.change.${c.action}`) ? t(`admin.change.${c.action}` as Key) : c.action}</span>{" "}
                  {known(`admin.thing.${c.kind}`) ? t(`admin.thing.${c.kind}` as Key) : c.kind} <strong>{c.key}</strong>
                  {c.fields.length > 0 && <span class="sub"> ({c.fields.join(", ")})</span>}
                </li>
              ))}
            </ul>
          )}
          <div class="actions">
            <button class="primary" disabled={busy || plan.length === 0} onClick={() => run(file.content, false)}>
              {t("admin.file.apply")}
            </button>
            <button
              onClick={() => {
                setPlan(null);
                setFile(null);
              }}
            >
              {t("admin.cancel")}
            </button>
          </div>
        </div>
      )}
      {done && (
        <p class="notice success" role="status">
          {done}
        </p>
      )}
    </div>
  );
}

/** The event's zones, categories and gates, read anew after each change. */
function useSetup(event: Event) {
  const [zones, setZones] = useState<Zone[]>([]);
  const [categories, setCategories] = useState<Category[]>([]);
  const [gates, setGates] = useState<Gate[]>([]);
  const [error, setError] = useState<string | null>(null);
  function reload() {
    Promise.all([
      api.events.listZones({ eventId: event.id }),
      api.events.listCategories({ eventId: event.id }),
      api.events.listGates({ eventId: event.id }),
    ])
      .then(([z, c, g]) => {
        setZones(z.zones);
        setCategories(c.categories);
        setGates(g.gates);
      })
      .catch((e) => setError(explain(failure(e))));
  }
  useEffect(reload, [event.id]);
  return { zones, categories, gates, error, reload };
}

function SetupTab(props: { event: Event; onChanged(): void }) {
  const e = props.event;
  const setup = useSetup(e);
  return (
    <div class="admin-stack">
      <section class="pane" aria-labelledby="settings-title">
        <h1 id="settings-title">
          {e.name} <span class="sub">{e.code}</span>
        </h1>
        <SettingsForm key={e.id} event={e} onSaved={props.onChanged} />
        <h2>{t("admin.file")}</h2>
        <p class="hint">{t("admin.file.hint")}</p>
        <EventFile
          event={e}
          onApplied={() => {
            setup.reload();
            props.onChanged();
          }}
        />
      </section>
      {setup.error && (
        <p class="error" role="alert">
          {setup.error}
        </p>
      )}
      <ZonesTable event={e} zones={setup.zones} onSaved={setup.reload} />
      <CategoriesTable event={e} zones={setup.zones} categories={setup.categories} onSaved={setup.reload} />
      <GatesTable event={e} zones={setup.zones} gates={setup.gates} onSaved={setup.reload} />
    </div>
  );
}

/** The event's own settings, changed with UpdateEvent. */
function SettingsForm(props: { event: Event; onSaved(): void }) {
  const e = props.event;
  const [form, setForm] = useState({ name: e.name, venue: e.venue, timeZone: e.timeZone, firstDay: e.firstDay, lastDay: e.lastDay });
  const [namesAtGates, setNames] = useState(e.namesAtGates);
  const [photosAtGates, setPhotos] = useState(e.photosAtGates);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  // The settings as stored, once they change (here, or by an event file).
  useEffect(() => {
    setForm({ name: e.name, venue: e.venue, timeZone: e.timeZone, firstDay: e.firstDay, lastDay: e.lastDay });
    setNames(e.namesAtGates);
    setPhotos(e.photosAtGates);
  }, [e.name, e.venue, e.timeZone, e.firstDay, e.lastDay, e.namesAtGates, e.photosAtGates]);
  async function save(ev: globalThis.Event) {
    ev.preventDefault();
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      const r = await api.events.updateEvent({ id: e.id, ...form, namesAtGates, photosAtGates });
      setDone(r.changes.length ? t("admin.settings.saved") : t("admin.file.nothing"));
      if (r.changes.length) props.onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="form-grid" onSubmit={save}>
      <Field id="set-name" label={t("admin.event.name")} field="name" value={form.name} problem={problem} onInput={set("name")} />
      <Field id="set-venue" label={t("admin.event.venue")} field="venue" value={form.venue} problem={problem} onInput={set("venue")} />
      <Field id="set-tz" label={t("admin.event.tz")} field="time_zone" value={form.timeZone} problem={problem} onInput={set("timeZone")} />
      <div class="form-grid">
        <Field id="set-first" label={t("admin.event.first")} field="first_day" type="date" value={form.firstDay} problem={problem} onInput={set("firstDay")} />
        <Field id="set-last" label={t("admin.event.last")} field="last_day" type="date" value={form.lastDay} problem={problem} onInput={set("lastDay")} />
      </div>
      <label class="check">
        <input type="checkbox" checked={namesAtGates} onChange={() => setNames(!namesAtGates)} />
        {t("admin.settings.names")}
      </label>
      <label class="check">
        <input type="checkbox" checked={photosAtGates} onChange={() => setPhotos(!photosAtGates)} />
        {t("admin.settings.photos")}
      </label>
      <div class="wide">
        <FormProblem problem={problem} shown={["name", "venue", "time_zone", "first_day", "last_day"]} />
        <button class="primary" type="submit" disabled={busy}>
          {t("admin.settings.save")}
        </button>
        {done && (
          <p class="notice success" role="status">
            {done}
          </p>
        )}
      </div>
    </form>
  );
}

/** One row of a set-up table in edit mode: inputs, save, cancel. */
function EditRow(props: { cols: number; problem: Problem | null; shown: string[]; busy: boolean; onSave(): void; onCancel?(): void; children: preact.ComponentChildren; label: string }) {
  return (
    <>
      <tr
        class="editing"
        onKeyDown={(e) => {
          // Enter in a cell saves the row, Escape leaves it as it was.
          const target = e.target as HTMLElement;
          if (e.key === "Enter" && target.tagName === "INPUT" && (target as HTMLInputElement).type !== "checkbox") {
            e.preventDefault();
            props.onSave();
          } else if (e.key === "Escape" && props.onCancel) {
            e.preventDefault();
            props.onCancel();
          }
        }}
      >
        {props.children}
        <td class="row-actions">
          <button class="primary" disabled={props.busy} onClick={props.onSave}>
            {props.label}
          </button>
          {props.onCancel && <button onClick={props.onCancel}>{t("admin.cancel")}</button>}
        </td>
      </tr>
      {props.problem && (
        <tr>
          <td colSpan={props.cols + 1}>
            <FormProblem problem={props.problem} shown={props.shown} />
          </td>
        </tr>
      )}
    </>
  );
}

/** A cell's input, labelled for screen readers, with its field's problem. */
function CellInput(props: { label: string; field: string; value: string; problem: Problem | null; onInput(v: string): void; type?: string; size?: number; autoFocus?: boolean }) {
  const bad = !!props.problem?.fields[props.field];
  return (
    <td>
      <input
        aria-label={props.label}
        name={props.field}
        type={(props.type ?? "text") as "text"}
        size={props.size}
        value={props.value}
        autoFocus={props.autoFocus}
        aria-invalid={bad ? "true" : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      <FieldProblem problem={props.problem} field={props.field} />
    </td>
  );
}

/** Saving a row: busy while the call runs, its problem by field. */
function useSave(onSaved: () => void) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  async function save(call: () => Promise<unknown>, after?: () => void) {
    setBusy(true);
    setProblem(null);
    try {
      await call();
      after?.();
      onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  return { problem, busy, save, clear: () => setProblem(null) };
}

/** A set-up table whose rows are edited in place, with a row to add one. */
function SetupTable<T extends { id: string; code: string }>(props: {
  id: string;
  title: string;
  headers: string[];
  items: T[];
  cells(item: T): preact.ComponentChildren;
  editing: string | null;
  inputs: preact.ComponentChildren;
  save: ReturnType<typeof useSave>;
  shown: string[];
  onSave(): void;
  onEdit(item: T | null): void;
  onCancel(): void;
  addLabel: string;
  addDisabled?: boolean;
}) {
  const s = props.save;
  const row = (key: string | undefined, label: string) => (
    <EditRow key={key} cols={props.headers.length} problem={s.problem} shown={props.shown} busy={s.busy} onSave={props.onSave} onCancel={props.onCancel} label={label}>
      {props.inputs}
    </EditRow>
  );
  return (
    <section class="pane" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <table class="grid setup">
        <Head cols={props.headers} actions />
        <tbody>
          {props.items.map((item) =>
            props.editing === item.code ? (
              row(item.id, t("save"))
            ) : (
              <tr key={item.id}>
                <td>
                  <code>{item.code}</code>
                </td>
                {props.cells(item)}
                <td class="row-actions">
                  <button onClick={() => props.onEdit(item)} aria-label={`${t("edit")} ${item.code}`}>
                    {t("edit")}
                  </button>
                </td>
              </tr>
            ),
          )}
          {props.editing === "" ? row(undefined, t("admin.add")) : null}
        </tbody>
      </table>
      {props.editing !== "" && (
        <button class="add" onClick={() => props.onEdit(null)} disabled={props.addDisabled}>
          {props.addLabel}
        </button>
      )}
    </section>
  );
}

interface ZoneForm {
  code: string;
  name: string;
  nameRu: string;
  nameUz: string;
  capacity: string;
  parentCode: string;
}
const emptyZone: ZoneForm = { code: "", name: "", nameRu: "", nameUz: "", capacity: "0", parentCode: "" };

function ZonesTable(props: { event: Event; zones: Zone[]; onSaved(): void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [form, setForm] = useState<ZoneForm>(emptyZone);
  const s = useSave(props.onSaved);
  const set = (k: keyof ZoneForm) => (v: string) => setForm({ ...form, [k]: v });
  const edit = (z: Zone | null) => {
    s.clear();
    setEditing(z ? z.code : "");
    setForm(z ? { code: z.code, name: z.name, nameRu: z.nameRu, nameUz: z.nameUz, capacity: String(z.capacity), parentCode: z.parentCode } : emptyZone);
  };
  const save = () =>
    s.save(
      () => {
        const capacity = Number(form.capacity);
        return api.events.upsertZone({ eventId: props.event.id, ...form, capacity: Number.isInteger(capacity) && capacity >= 0 ? capacity : -1 >>> 0 });
      },
      () => setEditing(null),
    );
  const inputs = (
    <>
      <CellInput label={t("admin.col.code")} field="code" value={form.code} problem={s.problem} onInput={set("code")} size={10} autoFocus={editing === ""} />
      <CellInput label={t("admin.col.name")} field="name" value={form.name} problem={s.problem} onInput={set("name")} autoFocus={editing !== ""} />
      <CellInput label={t("admin.col.name_ru")} field="name_ru" value={form.nameRu} problem={s.problem} onInput={set("nameRu")} />
      <CellInput label={t("admin.col.name_uz")} field="name_uz" value={form.nameUz} problem={s.problem} onInput={set("nameUz")} />
      <CellInput label={t("admin.col.capacity")} field="capacity" type="number" value={form.capacity} problem={s.problem} onInput={set("capacity")} size={6} />
      <CellInput label={t("admin.col.parent")} field="parent_code" value={form.parentCode} problem={s.problem} onInput={set("parentCode")} size={10} />
    </>
  );
  const shown = ["code", "name", "name_ru", "name_uz", "capacity", "parent_code"];
  return (
    <SetupTable
      id="zones-title"
      title={t("admin.zones")}
      headers={[t("admin.col.code"), t("admin.col.name"), t("admin.col.name_ru"), t("admin.col.name_uz"), t("admin.col.capacity"), t("admin.col.parent")]}
      items={props.zones}
      cells={(z) => (
        <>
          <td>{z.name}</td>
          <td>{z.nameRu}</td>
          <td>{z.nameUz}</td>
          <td>{z.capacity === 0 ? t("admin.unlimited") : z.capacity}</td>
          <td>{z.parentCode}</td>
        </>
      )}
      editing={editing}
      inputs={inputs}
      save={s}
      shown={shown}
      onSave={save}
      onEdit={edit}
      onCancel={() => setEditing(null)}
      addLabel={t("admin.zone.add")}
    />
  );
}

interface CategoryForm {
  code: string;
  name: string;
  nameRu: string;
  nameUz: string;
  color: string;
  zoneCodes: string[];
  validDays: string;
  badgeLayout: BadgeLayout;
}
const emptyCategory: CategoryForm = { code: "", name: "", nameRu: "", nameUz: "", color: "#1E88E5", zoneCodes: [], validDays: "", badgeLayout: BadgeLayout.A6 };

function CategoriesTable(props: { event: Event; zones: Zone[]; categories: Category[]; onSaved(): void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [form, setForm] = useState<CategoryForm>(emptyCategory);
  const s = useSave(props.onSaved);
  const set = (k: keyof CategoryForm) => (v: string) => setForm({ ...form, [k]: v });
  const edit = (c: Category | null) => {
    s.clear();
    setEditing(c ? c.code : "");
    setForm(c ? { code: c.code, name: c.name, nameRu: c.nameRu, nameUz: c.nameUz, color: c.color, zoneCodes: [...c.zoneCodes], validDays: c.validDays.join(", "), badgeLayout: c.badgeLayout === BadgeLayout.CARD ? BadgeLayout.CARD : BadgeLayout.A6 } : emptyCategory);
  };
  const save = () =>
    s.save(
      () =>
        api.events.upsertCategory({
          eventId: props.event.id,
          code: form.code,
          name: form.name,
          nameRu: form.nameRu,
          nameUz: form.nameUz,
          color: form.color,
          zoneCodes: form.zoneCodes,
          validDays: form.validDays
            .split(/[\s,]+/)
            .map((d) => d.trim())
            .filter(Boolean),
          badgeLayout: form.badgeLayout,
        }),
      () => setEditing(null),
    );
  const toggle = (code: string) => setForm({ ...form, zoneCodes: form.zoneCodes.includes(code) ? form.zoneCodes.filter((z) => z !== code) : [...form.zoneCodes, code] });
  const zoneProblem = Object.entries(s.problem?.fields ?? {}).find(([f]) => f.startsWith("zone_codes"));
  const inputs = (
    <>
      <CellInput label={t("admin.col.code")} field="code" value={form.code} problem={s.problem} onInput={set("code")} size={10} autoFocus={editing === ""} />
      <CellInput label={t("admin.col.name")} field="name" value={form.name} problem={s.problem} onInput={set("name")} autoFocus={editing !== ""} />
      <CellInput label={t("admin.col.name_ru")} field="name_ru" value={form.nameRu} problem={s.problem} onInput={set("nameRu")} />
      <CellInput label={t("admin.col.name_uz")} field="name_uz" value={form.nameUz} problem={s.problem} onInput={set("nameUz")} />
      <td>
        <input aria-label={t("admin.col.colour")} type="color" value={form.color} onInput={(e) => set("color")((e.target as HTMLInputElement).value)} />
        <FieldProblem problem={s.problem} field="color" />
      </td>
      <td>
        <fieldset class="checks">
          <legend class="sr-only">{t("admin.col.zones")}</legend>
          {props.zones.map((z) => (
            <label key={z.code} class="check">
              <input type="checkbox" checked={form.zoneCodes.includes(z.code)} onChange={() => toggle(z.code)} />
              {z.code}
            </label>
          ))}
        </fieldset>
        {zoneProblem && <span class="field-error">{zoneProblem[1]}</span>}
      </td>
      <CellInput label={t("admin.col.days")} field="valid_days" value={form.validDays} problem={s.problem} onInput={set("validDays")} size={12} />
      <td>
        <select aria-label={t("admin.col.badge")} value={form.badgeLayout} onChange={(e) => setForm({ ...form, badgeLayout: Number((e.target as HTMLSelectElement).value) as BadgeLayout })}>
          <option value={BadgeLayout.A6}>{t("admin.badge.a6")}</option>
          <option value={BadgeLayout.CARD}>{t("admin.badge.card")}</option>
        </select>
        <FieldProblem problem={s.problem} field="badge_layout" />
      </td>
    </>
  );
  const shown = ["code", "name", "name_ru", "name_uz", "color", "valid_days", "badge_layout", ...Object.keys(s.problem?.fields ?? {}).filter((f) => f.startsWith("zone_codes"))];
  return (
    <SetupTable
      id="categories-title"
      title={t("admin.categories")}
      headers={[t("admin.col.code"), t("admin.col.name"), t("admin.col.name_ru"), t("admin.col.name_uz"), t("admin.col.colour"), t("admin.col.zones"), t("admin.col.days"), t("admin.col.badge")]}
      items={props.categories}
      cells={(c) => (
        <>
          <td>{c.name}</td>
          <td>{c.nameRu}</td>
          <td>{c.nameUz}</td>
          <td>
            <span class="swatch" style={{ background: c.color }} /> {c.color}
          </td>
          <td>{c.zoneCodes.join(", ")}</td>
          <td>{c.validDays.length ? c.validDays.join(", ") : t("admin.every.day")}</td>
          <td>{c.badgeLayout === BadgeLayout.CARD ? t("admin.badge.card") : t("admin.badge.a6")}</td>
        </>
      )}
      editing={editing}
      inputs={inputs}
      save={s}
      shown={shown}
      onSave={save}
      onEdit={edit}
      onCancel={() => setEditing(null)}
      addLabel={t("admin.category.add")}
    />
  );
}

function GatesTable(props: { event: Event; zones: Zone[]; gates: Gate[]; onSaved(): void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [form, setForm] = useState({ code: "", name: "", zoneCode: "" });
  const s = useSave(props.onSaved);
  const edit = (g: Gate | null) => {
    s.clear();
    setEditing(g ? g.code : "");
    setForm(g ? { code: g.code, name: g.name, zoneCode: g.zoneCode } : { code: "", name: "", zoneCode: props.zones[0]?.code ?? "" });
  };
  const save = () => s.save(() => api.events.upsertGate({ eventId: props.event.id, ...form }), () => setEditing(null));
  const inputs = (
    <>
      <CellInput label={t("admin.col.code")} field="code" value={form.code} problem={s.problem} onInput={(v) => setForm({ ...form, code: v })} size={10} autoFocus={editing === ""} />
      <CellInput label={t("admin.col.name")} field="name" value={form.name} problem={s.problem} onInput={(v) => setForm({ ...form, name: v })} autoFocus={editing !== ""} />
      <td>
        <select aria-label={t("admin.col.zone")} value={form.zoneCode} onChange={(e) => setForm({ ...form, zoneCode: (e.target as HTMLSelectElement).value })}>
          {props.zones.map((z) => (
            <option key={z.code} value={z.code}>
              {z.code} · {localName(z)}
            </option>
          ))}
        </select>
        <FieldProblem problem={s.problem} field="zone_code" />
      </td>
    </>
  );
  const shown = ["code", "name", "zone_code"];
  return (
    <SetupTable
      id="gates-title"
      title={t("admin.gates")}
      headers={[t("admin.col.code"), t("admin.col.name"), t("admin.col.zone")]}
      items={props.gates}
      cells={(g) => (
        <>
          <td>{g.name}</td>
          <td>{g.zoneCode}</td>
        </>
      )}
      editing={editing}
      inputs={inputs}
      save={s}
      shown={shown}
      onSave={save}
      onEdit={edit}
      onCancel={() => setEditing(null)}
      addLabel={t("admin.gate.add")}
      addDisabled={props.zones.length === 0}
    />
  );
}

/** Country codes for the pickers, with their names. */
function CountryList(props: { id: string }) {
  return (
    <datalist id={props.id}>
      {COUNTRY_CODES.map((c) => (
        <option key={c} value={c}>
          {countryName(c)}
        </option>
      ))}
    </datalist>
  );
}

function DelegationsTab(props: { event: Event }) {
  const [delegations, setDelegations] = useState<Delegation[]>([]);
  const [categories, setCategories] = useState<Category[]>([]);
  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  /** Renews the form (emptied) after each save. */
  const [saves, setSaves] = useState(0);
  function reload() {
    Promise.all([
      api.registration.listDelegations({ eventId: props.event.id }),
      api.events.listCategories({ eventId: props.event.id }),
      api.registration.listOrganizations({ eventId: props.event.id, pageSize: 500 }),
    ])
      .then(([d, c, o]) => {
        setDelegations(d.delegations);
        setCategories(c.categories);
        setOrgs(o.organizations);
      })
      .catch((e) => setError(explain(failure(e))));
  }
  useEffect(reload, [props.event.id]);
  const editingDelegation = delegations.find((d) => d.id === editing);
  return (
    <div class="admin-stack">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <section class="pane" aria-labelledby="deleg-title">
        <h1 id="deleg-title">{t("nav.delegations")}</h1>
        {delegations.length === 0 && <p class="empty">{t("delegations.none")}</p>}
        <table class="grid">
          <Head cols={[t("admin.col.name"), t("admin.col.country"), t("admin.col.fill")]} actions />
          <tbody>
            {delegations.map((d) => (
              <tr key={d.id} class={editing === d.id ? "selected" : ""}>
                <td>{d.name}</td>
                <td>{countryName(d.country)}</td>
                <td>
                  <ul class="fills">
                    {d.quotas.map((q) => (
                      <li key={q.categoryCode}>
                        <span class="fill-code">{q.categoryCode}</span>
                        <span class={q.used >= q.quota ? "bar full" : "bar"} aria-hidden="true">
                          <span style={{ width: `${q.quota ? Math.min(100, (100 * q.used) / q.quota) : 0}%` }} />
                        </span>
                        <span class="quota-count">
                          {q.used} / {q.quota}
                        </span>
                      </li>
                    ))}
                  </ul>
                </td>
                <td class="row-actions">
                  <button onClick={() => setEditing(d.id)} aria-label={`${t("edit")} ${d.name}`}>
                    {t("edit")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="pane" aria-labelledby="deleg-form-title">
        <h2 id="deleg-form-title">{editingDelegation ? t("admin.delegation.edit", { name: editingDelegation.name }) : t("admin.delegation.new")}</h2>
        <DelegationForm
          key={`${editing ?? "new"}-${saves}`}
          event={props.event}
          categories={categories}
          delegation={editingDelegation}
          onSaved={() => {
            setEditing(null);
            setSaves(saves + 1);
            reload();
          }}
          onCancel={editingDelegation ? () => setEditing(null) : undefined}
        />
      </section>
      <OrganizationsPane event={props.event} orgs={orgs} onSaved={reload} />
    </div>
  );
}

function DelegationForm(props: { event: Event; categories: Category[]; delegation?: Delegation; onSaved(): void; onCancel?(): void }) {
  const d = props.delegation;
  const [name, setName] = useState(d?.name ?? "");
  const [country, setCountry] = useState(d?.country ?? "");
  const [quotas, setQuotas] = useState<Record<string, string>>(() => Object.fromEntries((d?.quotas ?? []).map((q) => [q.categoryCode, String(q.quota)])));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const entered = props.categories.map((c) => c.code).filter((code) => (quotas[code] ?? "").trim() !== "");
  const quotaList = entered.map((code) => {
    const n = Number(quotas[code]);
    // A value no uint32 holds is sent as the largest one: the server
    // names it by field.
    return { categoryCode: code, quota: Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : 0xffffffff, used: 0 };
  });
  async function save(e: globalThis.Event) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (d) {
        await api.registration.updateDelegation({ id: d.id, name, replaceQuotas: true, quotas: quotaList });
      } else {
        await api.registration.createDelegation({ requestId: requestId(), eventId: props.event.id, country, name, quotas: quotaList });
      }
      props.onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  // The server names a quota by its place in the list sent.
  const quotaField = (code: string) => `quotas[${entered.indexOf(code)}]`;
  const quotaProblem = (code: string) => {
    if (!problem || entered.indexOf(code) < 0) return undefined;
    const prefix = quotaField(code);
    return Object.entries(problem.fields).find(([f]) => f === prefix || f.startsWith(`${prefix}.`))?.[1];
  };
  const shown = ["name", "country", ...entered.flatMap((c) => Object.keys(problem?.fields ?? {}).filter((f) => f === quotaField(c) || f.startsWith(`${quotaField(c)}.`)))];
  return (
    <form class="stack" onSubmit={save}>
      <div class="form-grid">
        <Field id="dl-name" label={t("admin.col.name")} field="name" value={name} problem={problem} onInput={setName} />
        {d ? (
          <div class="field">
            <span class="label">{t("admin.col.country")}</span>
            <span>{countryName(d.country)}</span>
          </div>
        ) : (
          <Field id="dl-country" label={t("admin.col.country")} field="country" value={country} problem={problem} onInput={setCountry} list="countries" placeholder="KZ" />
        )}
      </div>
      <CountryList id="countries" />
      <fieldset class="quota-grid">
        <legend>{t("admin.quotas")}</legend>
        {props.categories.map((c) => {
          const bad = quotaProblem(c.code);
          return (
            <div class="field" key={c.code}>
              <label for={`quota-${c.code}`}>
                {c.code} · {localName(c)}
              </label>
              <input
                id={`quota-${c.code}`}
                type="number"
                inputMode="numeric"
                value={quotas[c.code] ?? ""}
                aria-invalid={bad ? "true" : undefined}
                onInput={(e) => setQuotas({ ...quotas, [c.code]: (e.target as HTMLInputElement).value })}
              />
              {bad && <span class="field-error">{bad}</span>}
            </div>
          );
        })}
      </fieldset>
      <FormProblem problem={problem} shown={shown} />
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          {d ? t("save") : t("admin.delegation.create")}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            {t("admin.cancel")}
          </button>
        )}
      </div>
    </form>
  );
}

const KINDS: [OrganizationKind, Key][] = [
  [OrganizationKind.COMPANY, "admin.kind.company"],
  [OrganizationKind.GOVERNMENT, "admin.kind.government"],
  [OrganizationKind.MEDIA, "admin.kind.media"],
  [OrganizationKind.OTHER, "admin.kind.other"],
];

function OrganizationsPane(props: { event: Event; orgs: Organization[]; onSaved(): void }) {
  const [name, setName] = useState("");
  const [country, setCountry] = useState("");
  const [kind, setKind] = useState<OrganizationKind>(OrganizationKind.COMPANY);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  async function create(e: globalThis.Event) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await api.registration.createOrganization({ requestId: requestId(), eventId: props.event.id, name, country, kind });
      setName("");
      setCountry("");
      props.onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  const kindName = (k: OrganizationKind) => t(KINDS.find(([x]) => x === k)?.[1] ?? "admin.kind.other");
  return (
    <section class="pane" aria-labelledby="orgs-title">
      <h2 id="orgs-title">{t("admin.organizations")}</h2>
      {props.orgs.length === 0 ? (
        <p class="empty">{t("admin.organizations.none")}</p>
      ) : (
        <table class="grid">
          <Head cols={[t("admin.col.name"), t("admin.col.country"), t("admin.col.kind")]} />
          <tbody>
            {props.orgs.map((o) => (
              <tr key={o.id}>
                <td>{o.name}</td>
                <td>{countryName(o.country)}</td>
                <td>{kindName(o.kind)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="form-grid org-form" onSubmit={create}>
        <Field id="org-name" label={t("admin.col.name")} field="name" value={name} problem={problem} onInput={setName} />
        <Field id="org-country" label={t("admin.col.country")} field="country" value={country} problem={problem} onInput={setCountry} list="countries" placeholder="UZ" />
        <div class="field">
          <label for="org-kind">{t("admin.col.kind")}</label>
          <select id="org-kind" value={kind} onChange={(e) => setKind(Number((e.target as HTMLSelectElement).value) as OrganizationKind)}>
            {KINDS.map(([k, key]) => (
              <option key={k} value={k}>
                {t(key)}
              </option>
            ))}
          </select>
        </div>
        <div class="wide">
          <FormProblem problem={problem} shown={["name", "country"]} />
          <button class="primary" type="submit" disabled={busy}>
            {t("admin.organization.create")}
          </button>
        </div>
      </form>
    </section>
  );
}

function DevicesTab(props: { event: Event }) {
  const e = props.event;
  const [tokens, setTokens] = useState<ApiToken[]>([]);
  const [keys, setKeys] = useState<SigningKey[]>([]);
  const [gates, setGates] = useState<Gate[]>([]);
  const [error, setError] = useState<string | null>(null);
  function reload() {
    Promise.all([api.tokens.listTokens({ eventCode: e.code }), api.events.listSigningKeys({ eventId: e.id }), api.events.listGates({ eventId: e.id })])
      .then(([tk, k, g]) => {
        setTokens(tk.tokens);
        setKeys(k.keys);
        setGates(g.gates);
      })
      .catch((err) => setError(explain(failure(err))));
  }
  useEffect(reload, [e.id]);
  async function act(call: () => Promise<unknown>) {
    setError(null);
    try {
      await call();
      reload();
    } catch (err) {
      setError(explain(failure(err)));
    }
  }
  async function bundle() {
    const gate = gates[0];
    if (!gate) return setError(t("admin.bundle.nogate"));
    try {
      const r = await api.gates.getOfflineBundle({ gateId: gate.id });
      download(r.bundle as Uint8Array<ArrayBuffer>, `${e.code}.bundle`, "application/octet-stream");
    } catch (err) {
      setError(explain(failure(err)));
    }
  }
  return (
    <div class="admin-stack">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <EnrolmentPane event={e} gates={gates} onMade={reload} />
      <TokenPane event={e} onMade={reload} />
      <section class="pane" aria-labelledby="tokens-title">
        <h2 id="tokens-title">{t("admin.tokens")}</h2>
        <table class="grid">
          <Head cols={[t("admin.col.name"), t("admin.col.role"), t("admin.col.scope"), t("admin.col.last_use"), t("admin.col.expires")]} actions />
          <tbody>
            {tokens.map((tk) => (
              <tr key={tk.id} class={tk.revokedAt ? "revoked" : ""}>
                <td>{tk.name}</td>
                <td>{known(`admin.role.${tk.role}`) ? t(`admin.role.${tk.role}` as Key) : tk.role}</td>
                <td>{[tk.eventCode || t("admin.scope.every"), ...(tk.gateCodes.length ? [tk.gateCodes.join(", ")] : [])].join(" · ")}</td>
                <td>{formatTime(tk.lastUsedAt, e.timeZone)}</td>
                <td>{tk.revokedAt ? <span class="chip bad">{t("admin.revoked")}</span> : formatTime(tk.expiresAt, e.timeZone)}</td>
                <td class="row-actions">
                  {!tk.revokedAt && (
                    <button class="danger" onClick={() => act(() => api.tokens.revokeToken({ id: tk.id }))} aria-label={`${t("admin.revoke")} ${tk.name}`}>
                      {t("admin.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="pane" aria-labelledby="keys-title">
        <h2 id="keys-title">{t("admin.keys")}</h2>
        <p class="hint">{t("admin.keys.hint")}</p>
        <table class="grid">
          <Head cols={[t("admin.col.key"), t("admin.col.status"), t("admin.col.created")]} actions />
          <tbody>
            {keys.map((k) => (
              <tr key={k.keyId}>
                <td>
                  <code>{k.keyId}</code>
                </td>
                <td>
                  <span class={`chip ${k.status === "active" ? "ok" : k.status === "retired" ? "bad" : "warn"}`}>{t(`admin.key.${k.status}` as Key)}</span>
                </td>
                <td>{formatTime(k.createdAt, e.timeZone)}</td>
                <td class="row-actions">
                  {k.status === "verifying" && (
                    <button class="danger" onClick={() => act(() => api.events.retireSigningKeys({ eventId: e.id, keyId: k.keyId }))}>
                      {t("admin.key.retire")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="actions">
          <button onClick={() => act(() => api.events.rotateSigningKey({ eventId: e.id }))}>{t("admin.key.rotate")}</button>
          <button onClick={bundle}>{t("admin.bundle")}</button>
        </div>
      </section>
    </div>
  );
}

const ROLES = ["desk", "gate", "admin"] as const;

function EnrolmentPane(props: { event: Event; gates: Gate[]; onMade(): void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<(typeof ROLES)[number]>("desk");
  const [gateCodes, setGateCodes] = useState<string[]>([]);
  const [hours, setHours] = useState("24");
  const [made, setMade] = useState<{ code: string; qr: string; expires?: Timestamp; role: string; name: string } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  async function create(e: globalThis.Event) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const h = Number(hours);
      const ttlSeconds = Number.isFinite(h) && h > 0 ? Math.min(0xffffffff, Math.round(h * 3600)) : 0xffffffff;
      const r = await api.tokens.createEnrolmentCode({ name, role, eventCode: props.event.code, gateCodes: role === "gate" ? gateCodes : [], ttlSeconds });
      const qr = URL.createObjectURL(new Blob([r.qrPng as Uint8Array<ArrayBuffer>], { type: "image/png" }));
      setMade({ code: r.code, qr, expires: r.expiresAt, role, name });
      setName("");
      props.onMade();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section class="pane" aria-labelledby="enrol-title">
      <h2 id="enrol-title">{t("admin.enrol")}</h2>
      <p class="hint">{t("admin.enrol.hint")}</p>
      <div class="enrol">
        <form class="stack enrol-form" onSubmit={create}>
          <Field id="enrol-name" label={t("admin.enrol.name")} field="name" value={name} problem={problem} onInput={setName} placeholder={t("admin.enrol.name.example")} />
          <div class="field">
            <label for="enrol-role">{t("admin.col.role")}</label>
            <select id="enrol-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as (typeof ROLES)[number])}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`admin.role.${r}` as Key)}
                </option>
              ))}
            </select>
            <FieldProblem problem={problem} field="role" />
          </div>
          {role === "gate" && (
            <fieldset class="checks">
              <legend>{t("admin.enrol.gates")}</legend>
              {props.gates.map((g) => (
                <label key={g.code} class="check">
                  <input type="checkbox" checked={gateCodes.includes(g.code)} onChange={() => setGateCodes(gateCodes.includes(g.code) ? gateCodes.filter((x) => x !== g.code) : [...gateCodes, g.code])} />
                  {g.code}
                </label>
              ))}
            </fieldset>
          )}
          <Field id="enrol-hours" label={t("admin.enrol.hours")} field="ttl" type="number" value={hours} problem={problem} onInput={setHours} />
          <FormProblem problem={problem} shown={["name", "role", "ttl"]} />
          <button class="primary" type="submit" disabled={busy}>
            {t("admin.enrol.create")}
          </button>
        </form>
        {made && (
          <figure class="enrol-code" aria-live="polite">
            <img src={made.qr} alt={t("admin.enrol.qr")} width={200} height={200} />
            <figcaption>
              <span class="sub">
                {t(`admin.role.${made.role}` as Key)} · {made.name || "—"}
              </span>
              <code class="code" data-testid="enrolment-code">
                {made.code}
              </code>
              <span class="sub">{t("admin.enrol.until", { time: formatTime(made.expires, props.event.timeZone) })}</span>
            </figcaption>
          </figure>
        )}
      </div>
    </section>
  );
}

function TokenPane(props: { event: Event; onMade(): void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<(typeof ROLES)[number]>("desk");
  const [secret, setSecret] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  async function create(e: globalThis.Event) {
    e.preventDefault();
    setProblem(null);
    try {
      const r = await api.tokens.createToken({ name, role, eventCode: props.event.code, gateCodes: [] });
      setSecret(r.secret);
      setName("");
      props.onMade();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  return (
    <section class="pane" aria-labelledby="token-new-title">
      <h2 id="token-new-title">{t("admin.token.new")}</h2>
      <form class="form-grid" onSubmit={create}>
        <Field id="token-name" label={t("admin.col.name")} field="name" value={name} problem={problem} onInput={setName} />
        <div class="field">
          <label for="token-role">{t("admin.col.role")}</label>
          <select id="token-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as (typeof ROLES)[number])}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`admin.role.${r}` as Key)}
              </option>
            ))}
          </select>
        </div>
        <div class="wide">
          <FormProblem problem={problem} shown={["name"]} />
          <button type="submit">{t("admin.token.create")}</button>
        </div>
      </form>
      {secret && (
        <p class="notice warning" role="status">
          {t("admin.token.secret")} <code class="code">{secret}</code>
        </p>
      )}
    </section>
  );
}

/** A table's header row; `actions`: a last column of buttons, named for
 * screen readers only. */
function Head(props: { cols: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {props.cols.map((c) => (
          <th key={c}>{c}</th>
        ))}
        {props.actions && (
          <th>
            <span class="sr-only">{t("admin.col.actions")}</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** A table of counts with a bar each, longest first as the server sends them. */
function Bars(props: { title: string; rows: { key: string; label: string; count: number }[] }) {
  const max = Math.max(1, ...props.rows.map((r) => r.count));
  return (
    <section class="pane" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p class="empty">{t("admin.none")}</p>
      ) : (
        <table class="grid bars">
          <tbody>
            {props.rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.label}</th>
                <td class="bar-cell">
                  <span class="bar" aria-hidden="true">
                    <span style={{ width: `${(100 * r.count) / max}%` }} />
                  </span>
                </td>
                <td class="quota-count">{r.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NumbersTab(props: { event: Event }) {
  const [stats, setStats] = useState<GetRegistrationStatsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.events
      .getRegistrationStats({ eventId: props.event.id })
      .then(setStats)
      .catch((e) => setError(explain(failure(e))));
  }, [props.event.id]);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!stats) return <p>{t("loading")}</p>;
  const n = (x: bigint) => Number(x);
  return (
    <div class="admin-stack">
      <section class="pane" aria-labelledby="numbers-title">
        <h1 id="numbers-title">{t("admin.tab.numbers")}</h1>
        <dl class="totals">
          <div>
            <dt>{t("admin.stats.active")}</dt>
            <dd data-testid="stat-active">{n(stats.active)}</dd>
          </div>
          <div>
            <dt>{t("admin.stats.cancelled")}</dt>
            <dd>{n(stats.cancelled)}</dd>
          </div>
          <div>
            <dt>{t("admin.stats.valid")}</dt>
            <dd>{n(stats.badgesValid)}</dd>
          </div>
          <div>
            <dt>{t("admin.stats.printed")}</dt>
            <dd>{n(stats.badgesPrinted)}</dd>
          </div>
          <div>
            <dt>{t("admin.stats.revoked")}</dt>
            <dd>{n(stats.badgesRevoked)}</dd>
          </div>
        </dl>
      </section>
      <div class="admin-columns">
        <Bars title={t("admin.stats.by_category")} rows={stats.byCategory.map((r) => ({ key: r.key, label: r.label || r.key, count: n(r.count) }))} />
        <Bars title={t("admin.stats.by_country")} rows={stats.byCountry.map((r) => ({ key: r.key, label: countryName(r.key), count: n(r.count) }))} />
        <Bars title={t("admin.stats.registered_per_day")} rows={stats.registeredPerDay.map((r) => ({ key: r.day, label: r.day, count: n(r.count) }))} />
        <Bars title={t("admin.stats.entered_per_day")} rows={stats.enteredPerDay.map((r) => ({ key: r.day, label: r.day, count: n(r.count) }))} />
        <Bars title={t("admin.stats.by_organization")} rows={stats.byOrganization.map((r) => ({ key: r.key, label: r.label, count: n(r.count) }))} />
        <section class="pane" aria-label={t("admin.stats.by_delegation")}>
          <h2>{t("admin.stats.by_delegation")}</h2>
          <table class="grid bars">
            <tbody>
              {stats.byDelegation.map((d) => (
                <tr key={d.delegationId}>
                  <th scope="row">{d.name}</th>
                  <td class="bar-cell">
                    <span class={n(d.members) >= n(d.quota) && n(d.quota) > 0 ? "bar full" : "bar"} aria-hidden="true">
                      <span style={{ width: `${n(d.quota) ? Math.min(100, (100 * n(d.members)) / n(d.quota)) : 0}%` }} />
                    </span>
                  </td>
                  <td class="quota-count">
                    {n(d.members)} / {n(d.quota)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <ExportPane event={props.event} />
    </div>
  );
}

const EXPORT_COLUMNS = [
  "id",
  "external_ref",
  "given_name",
  "family_name",
  "native_name",
  "organization",
  "country",
  "job_title",
  "category_code",
  "delegation",
  "email",
  "phone",
  "travel_document_masked",
  "status",
  "badge_state",
  "badge_number",
  "has_photo",
  "entered",
  "first_entry",
  "registered_at",
];

function ExportPane(props: { event: Event }) {
  const [format, setFormat] = useState<ExportFormat>(ExportFormat.CSV);
  const [columns, setColumns] = useState<string[]>(EXPORT_COLUMNS);
  const [category, setCategory] = useState("");
  const [status, setStatus] = useState<ParticipantStatus>(ParticipantStatus.UNSPECIFIED);
  const [badge, setBadge] = useState<BadgeState>(BadgeState.UNSPECIFIED);
  const [entered, setEntered] = useState<"" | "yes" | "no">("");
  const [categories, setCategories] = useState<Category[]>([]);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [result, setResult] = useState<{ url: string; name: string; rows: number; withheld: string[] } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.events
      .listCategories({ eventId: props.event.id })
      .then((r) => setCategories(r.categories))
      .catch(() => undefined);
  }, [props.event.id]);
  async function run(e: globalThis.Event) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    setResult(null);
    setProgress({ done: 0, total: 0 });
    try {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let name = "participants";
      let type = "text/csv";
      let total = 0;
      let withheld: string[] = [];
      for await (const m of api.registration.exportParticipants({
        eventId: props.event.id,
        format,
        columns: EXPORT_COLUMNS.filter((c) => columns.includes(c)),
        filter: {
          categoryCodes: category ? [category] : [],
          status,
          badgeStates: badge ? [badge] : [],
          entered: entered === "" ? undefined : entered === "yes",
        },
      })) {
        if (m.item.case === "started") {
          name = m.item.value.fileName;
          type = m.item.value.contentType;
          total = Number(m.item.value.totalRows);
          withheld = m.item.value.withheldColumns;
          setProgress({ done: 0, total });
        } else if (m.item.case === "chunk") {
          parts.push(m.item.value as Uint8Array<ArrayBuffer>);
        } else if (m.item.case === "rowsDone") {
          setProgress({ done: Number(m.item.value), total });
        }
      }
      const url = URL.createObjectURL(new Blob(parts, { type }));
      setResult({ url, name, rows: total, withheld });
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  const toggle = (c: string) => setColumns(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c]);
  return (
    <section class="pane" aria-labelledby="export-title">
      <h2 id="export-title">{t("admin.export")}</h2>
      <form class="stack" onSubmit={run}>
        <div class="form-grid">
          <div class="field">
            <label for="export-format">{t("admin.export.format")}</label>
            <select id="export-format" value={format} onChange={(e) => setFormat(Number((e.target as HTMLSelectElement).value) as ExportFormat)}>
              <option value={ExportFormat.CSV}>CSV</option>
              <option value={ExportFormat.XLSX}>XLSX (Excel)</option>
            </select>
          </div>
          <div class="field">
            <label for="export-category">{t("admin.export.category")}</label>
            <select id="export-category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
              <option value="">{t("admin.export.all")}</option>
              {categories.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.code} · {localName(c)}
                </option>
              ))}
            </select>
            <FieldProblem problem={problem} field="filter.category_codes[0]" />
          </div>
          <div class="field">
            <label for="export-status">{t("admin.export.status")}</label>
            <select id="export-status" value={status} onChange={(e) => setStatus(Number((e.target as HTMLSelectElement).value) as ParticipantStatus)}>
              <option value={ParticipantStatus.UNSPECIFIED}>{t("admin.export.all")}</option>
              <option value={ParticipantStatus.ACTIVE}>{t("admin.export.active")}</option>
              <option value={ParticipantStatus.CANCELLED}>{t("admin.export.cancelled")}</option>
            </select>
          </div>
          <div class="field">
            <label for="export-badge">{t("admin.export.badge")}</label>
            <select id="export-badge" value={badge} onChange={(e) => setBadge(Number((e.target as HTMLSelectElement).value) as BadgeState)}>
              <option value={BadgeState.UNSPECIFIED}>{t("admin.export.all")}</option>
              <option value={BadgeState.NONE}>{t("badge.state.none")}</option>
              <option value={BadgeState.VALID}>{t("badge.state.valid")}</option>
              <option value={BadgeState.OUTDATED}>{t("badge.state.outdated")}</option>
              <option value={BadgeState.REVOKED}>{t("badge.state.revoked")}</option>
              <option value={BadgeState.BLOCKED}>{t("badge.state.blocked")}</option>
            </select>
          </div>
          <div class="field">
            <label for="export-entered">{t("admin.export.entered")}</label>
            <select id="export-entered" value={entered} onChange={(e) => setEntered((e.target as HTMLSelectElement).value as "" | "yes" | "no")}>
              <option value="">{t("admin.export.all")}</option>
              <option value="yes">{t("admin.export.entered.yes")}</option>
              <option value="no">{t("admin.export.entered.no")}</option>
            </select>
          </div>
        </div>
        <fieldset class="checks columns">
          <legend>{t("admin.export.columns")}</legend>
          {EXPORT_COLUMNS.map((c) => (
            <label key={c} class="check">
              <input type="checkbox" checked={columns.includes(c)} onChange={() => toggle(c)} />
              <code>{c}</code>
            </label>
          ))}
        </fieldset>
        <FormProblem problem={problem} shown={["filter.category_codes[0]"]} />
        <div class="actions">
          <button class="primary" type="submit" disabled={busy || columns.length === 0}>
            {t("admin.export.run")}
          </button>
        </div>
        {progress && busy && (
          <div class="progress">
            <progress max={progress.total || 1} value={progress.done} aria-label={t("admin.export.progress")} />
            <span class="sub">{t("admin.export.rows", { done: progress.done, total: progress.total })}</span>
          </div>
        )}
        {result && (
          <p class="notice success" role="status">
            <a href={result.url} download={result.name}>
              {result.name}
            </a>{" "}
            · {t("admin.export.done", { n: result.rows })}
            {result.withheld.length > 0 && <> · {t("admin.export.withheld", { cols: result.withheld.join(", ") })}</>}
          </p>
        )}
      </form>
    </section>
  );
}

function AuditTab(props: { event: Event }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState("");
  const [action, setAction] = useState("");
  const [entityType, setEntityType] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const stamp = (day: string, end: boolean) => {
    if (!day) return undefined;
    const ms = Date.parse(`${day}T00:00:00Z`) + (end ? 86_400_000 : 0);
    return Number.isNaN(ms) ? undefined : { seconds: BigInt(Math.floor(ms / 1000)), nanos: 0 };
  };
  async function load(more: boolean) {
    setProblem(null);
    try {
      const r = await api.audit.listAuditEntries({
        eventId: props.event.id,
        action: action.trim(),
        entityType: entityType.trim(),
        since: stamp(since, false),
        until: stamp(until, true),
        pageSize: 100,
        pageToken: more ? next : "",
      });
      setEntries(more ? [...entries, ...r.entries] : r.entries);
      setNext(r.nextPageToken);
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  useEffect(() => {
    load(false);
  }, [props.event.id]);
  return (
    <section class="pane" aria-labelledby="audit-title">
      <h1 id="audit-title">{t("admin.tab.audit")}</h1>
      <form
        class="form-grid audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          load(false);
        }}
      >
        <Field id="audit-action" label={t("admin.audit.action")} field="action" value={action} problem={problem} onInput={setAction} placeholder="participant. / badge.revoke" />
        <Field id="audit-entity" label={t("admin.audit.entity")} field="entity_type" value={entityType} problem={problem} onInput={setEntityType} placeholder="participant" />
        <Field id="audit-since" label={t("admin.audit.since")} field="since" type="date" value={since} problem={problem} onInput={setSince} />
        <Field id="audit-until" label={t("admin.audit.until")} field="until" type="date" value={until} problem={problem} onInput={setUntil} />
        <div class="wide">
          <FormProblem problem={problem} shown={["action", "entity_type", "since", "until"]} />
          <button class="primary" type="submit">
            {t("admin.audit.filter")}
          </button>
        </div>
      </form>
      {entries.length === 0 ? (
        <p class="empty">{t("admin.none")}</p>
      ) : (
        <table class="grid audit">
          <Head cols={[t("admin.audit.when"), t("admin.audit.who"), t("admin.audit.action"), t("admin.audit.entity"), t("admin.audit.details")]} />
          <tbody>
            {entries.map((a) => (
              <tr key={String(a.id)}>
                <td>{formatTime(a.at, props.event.timeZone)}</td>
                <td>{a.tokenName || t("admin.audit.console")}</td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td>
                  {a.entityType}{" "}
                  <span class="sub" title={a.entityId}>
                    …{a.entityId.slice(-8)}
                  </span>
                </td>
                <td class="details">{a.details && a.details !== "{}" ? <code>{a.details}</code> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && <button onClick={() => load(true)}>{t("admin.audit.more")}</button>}
    </section>
  );
}


const FIELD_KINDS = ["text", "long_text", "integer", "decimal", "boolean", "date", "single_choice", "multiple_choice", "country", "phone", "email"];
const FIELD_SCOPES = ["participant", "delegation", "organization"];
const SENSITIVITIES = ["public", "internal", "personal", "secret"];
const BADGES = ["never", "always", "choice"];

/** What the question form holds. */
interface FieldForm {
  key: string;
  kind: string;
  scope: string;
  sensitivity: string;
  en: string;
  ru: string;
  uz: string;
  options: string;
  categories: string;
  required: boolean;
  badge: string;
  gate: boolean;
  pattern: string;
}

const blankField: FieldForm = {
  key: "",
  kind: "text",
  scope: "participant",
  sensitivity: "internal",
  en: "",
  ru: "",
  uz: "",
  options: "",
  categories: "",
  required: false,
  badge: "never",
  gate: false,
  pattern: "",
};

function formOf(f: FieldDefinition): FieldForm {
  const codes = Object.keys(f.categories);
  const place = codes.length ? f.categories[codes[0]] : f.placement;
  return {
    key: f.key,
    kind: f.kind,
    scope: f.scope,
    sensitivity: f.sensitivity,
    en: f.label?.en ?? "",
    ru: f.label?.ru ?? "",
    uz: f.label?.uz ?? "",
    options: f.options.map((o) => `${o.retired ? "~" : ""}${o.key} = ${o.label?.en ?? ""}`).join("\n"),
    categories: codes.join(", "),
    required: place?.required ?? false,
    badge: place?.badge || "never",
    gate: place?.gate ?? false,
    pattern: f.pattern,
  };
}

/** The form as a definition, over what `base` holds (its other rules kept). */
function definitionOf(form: FieldForm, base: FieldDefinition | undefined, position: number): Partial<FieldDefinition> {
  const place = { required: form.required, badge: form.badge, gate: form.gate, export: true };
  const codes = form.categories
    .split(",")
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
  const oldOptions = base?.options ?? [];
  const options = form.options
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const retired = line.startsWith("~");
      const [key, ...rest] = line.replace(/^~/, "").split("=");
      const k = key.trim();
      const old = oldOptions.find((o) => o.key === k);
      const en = rest.join("=").trim() || k;
      return { key: k, label: { ...(old?.label ?? { ru: "", uz: "" }), en }, retired };
    });
  // A plain object throughout: the stored message's type mark would make
  // the client take the plain placements below for whole messages.
  const { $typeName: _, ...kept } = base ?? { $typeName: "" };
  return {
    ...kept,
    key: form.key.trim(),
    kind: form.kind,
    scope: form.scope,
    sensitivity: form.sensitivity,
    position: base?.position ?? position,
    label: { ...(base?.label ?? {}), en: form.en, ru: form.ru, uz: form.uz } as FieldDefinition["label"],
    options: options as FieldDefinition["options"],
    placement: place as FieldDefinition["placement"],
    categories: Object.fromEntries(codes.map((c) => [c, place])) as FieldDefinition["categories"],
    pattern: form.pattern,
  };
}

function FieldsTab(props: { event: Event }) {
  const e = props.event;
  const [fields, setFields] = useState<FieldDefinition[]>([]);
  const [form, setForm] = useState<FieldForm>(blankField);
  const [editing, setEditing] = useState<FieldDefinition | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  function reload() {
    api.events
      .listFields({ eventId: e.id })
      .then((r) => setFields(r.fields))
      .catch((err) => setProblem(problemOf(err)));
  }
  useEffect(reload, [e.id]);
  async function upsert(field: Partial<FieldDefinition>): Promise<FieldDefinition | undefined> {
    const r = await api.events.upsertField({ eventId: e.id, field: field as FieldDefinition });
    return r.field;
  }
  async function act(call: () => Promise<unknown>) {
    setProblem(null);
    setNotice(null);
    try {
      await call();
      reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  }
  async function save(ev: { preventDefault(): void }) {
    ev.preventDefault();
    setBusy(true);
    setProblem(null);
    setNotice(null);
    try {
      const last = fields.reduce((m, f) => Math.max(m, f.position), 0);
      const saved = await upsert(definitionOf(form, editing, last + 10));
      setNotice(t("admin.fields.saved", { key: saved?.key ?? form.key, version: saved?.version ?? 1 }));
      setForm(blankField);
      setEditing(undefined);
      reload();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }
  /** Moves a question one place, renumbering every position in steps of ten. */
  function move(index: number, by: number) {
    const order = [...fields];
    const [f] = order.splice(index, 1);
    order.splice(index + by, 0, f);
    return act(async () => {
      for (const [i, q] of order.entries()) {
        const position = (i + 1) * 10;
        if (q.position !== position) await upsert({ ...q, position });
      }
    });
  }
  const set = (k: keyof FieldForm) => (ev: { currentTarget: EventTarget | null }) => {
    const el = ev.currentTarget as HTMLInputElement;
    setForm((old) => ({ ...old, [k]: el.type === "checkbox" ? el.checked : el.value }));
  };
  const label = (f: FieldDefinition) => {
    const l = currentLang();
    return (l === "ru" ? f.label?.ru : l === "uz" ? f.label?.uz : f.label?.en) || f.label?.en || f.key;
  };
  const shown = ["field.key", "field.label.en", "field.options", "field.categories", "field.pattern", "field.kind"];
  const input = (k: keyof FieldForm, name: Key, path: string, extra: Record<string, unknown> = {}) => (
    <label class="field">
      <span>{t(name)}</span>
      <input value={form[k] as string} onInput={set(k)} aria-invalid={problem?.fields[path] ? "true" : undefined} {...extra} />
      <FieldProblem problem={problem} field={path} />
    </label>
  );
  const select = (k: keyof FieldForm, name: Key, values: string[], text: (v: string) => string = (v) => v) => (
    <label class="field">
      <span>{t(name)}</span>
      <select id={`field-${k}`} value={form[k] as string} onChange={set(k)}>
        {values.map((v) => (
          <option key={v} value={v}>
            {text(v)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div class="admin-stack">
      <section class="pane" aria-labelledby="fields-title">
        <h2 id="fields-title">{t("admin.fields.title")}</h2>
        <p class="hint">{t("admin.fields.hint")}</p>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        {fields.length === 0 ? (
          <p class="empty">{t("admin.fields.none")}</p>
        ) : (
          <table class="grid fields-table">
            <Head cols={[t("admin.fields.key"), t("admin.fields.label_en").replace(/ \(.*\)$/, ""), t("admin.fields.kind"), t("admin.fields.categories"), t("admin.fields.version"), t("admin.fields.answered")]} actions />
            <tbody>
              {fields.map((f, i) => (
                <tr key={f.key} class={f.retired ? "revoked" : ""} data-field-key={f.key}>
                  <td>
                    <code>{f.key}</code>
                  </td>
                  <td>{label(f)}</td>
                  <td>{t(`admin.fields.kind.${f.kind}` as Key)}</td>
                  <td>{Object.keys(f.categories).join(", ") || t("admin.fields.everyone")}</td>
                  <td>{f.version}</td>
                  <td>{String(f.answered)}</td>
                  <td class="row-actions">
                    {f.retired && <span class="chip bad">{t("admin.fields.retired")}</span>}
                    <button disabled={i === 0} onClick={() => move(i, -1)} aria-label={`${t("admin.fields.up")} ${f.key}`}>
                      ↑
                    </button>
                    <button disabled={i === fields.length - 1} onClick={() => move(i, 1)} aria-label={`${t("admin.fields.down")} ${f.key}`}>
                      ↓
                    </button>
                    <button
                      onClick={() => {
                        setEditing(f);
                        setForm(formOf(f));
                        setProblem(null);
                      }}
                      aria-label={t("admin.fields.edit", { key: f.key })}
                    >
                      {t("admin.fields.change")}
                    </button>
                    <button class={f.retired ? "" : "danger"} onClick={() => act(() => upsert({ ...f, retired: !f.retired }))} aria-label={`${f.retired ? t("admin.fields.restore") : t("admin.fields.retire")} ${f.key}`}>
                      {f.retired ? t("admin.fields.restore") : t("admin.fields.retire")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="pane" aria-labelledby="field-form-title">
        <h2 id="field-form-title">{editing ? t("admin.fields.edit", { key: editing.key }) : t("admin.fields.add")}</h2>
        <form class="form-grid fields-form" onSubmit={save} noValidate>
          {input("key", "admin.fields.key", "field.key", { id: "field-key", disabled: !!editing })}
          {select("kind", "admin.fields.kind", FIELD_KINDS, (v) => t(`admin.fields.kind.${v}` as Key))}
          {select("scope", "admin.fields.scope", FIELD_SCOPES, (v) => t(`admin.fields.scope.${v}` as Key))}
          {select("sensitivity", "admin.fields.sensitivity", SENSITIVITIES, (v) => t(`admin.fields.sensitivity.${v}` as Key))}
          {input("en", "admin.fields.label_en", "field.label.en", { id: "field-label-en" })}
          {input("ru", "admin.fields.label_ru", "field.label.ru", { id: "field-label-ru" })}
          {input("uz", "admin.fields.label_uz", "field.label.uz", { id: "field-label-uz" })}
          <label class="field wide">
            <span>{t("admin.fields.options")}</span>
            <textarea id="field-options" rows={4} value={form.options} onInput={set("options")} />
            <small class="hint">{t("admin.fields.options.hint")}</small>
            <FieldProblem problem={problem} field="field.options" />
          </label>
          {input("categories", "admin.fields.categories", "field.categories", { id: "field-categories", placeholder: t("admin.fields.categories.hint") })}
          {input("pattern", "admin.fields.pattern", "field.pattern", { id: "field-pattern" })}
          {select("badge", "admin.fields.badge", BADGES, (v) => t(`admin.fields.badge.${v}` as Key))}
          <div class="checks-row">
            <label class="check">
              <input type="checkbox" id="field-required" checked={form.required} onChange={set("required")} />
              {t("admin.fields.required")}
            </label>
            <label class="check">
              <input type="checkbox" id="field-gate" checked={form.gate} onChange={set("gate")} />
              {t("admin.fields.gate")}
            </label>
          </div>
          <div class="wide">
            <FormProblem problem={problem} shown={shown} />
          </div>
          <div class="actions wide-actions">
            <button class="primary" type="submit" disabled={busy}>
              {t("admin.fields.save")}
            </button>
            {editing && (
              <button
                type="button"
                onClick={() => {
                  setEditing(undefined);
                  setForm(blankField);
                  setProblem(null);
                }}
              >
                {t("back")}
              </button>
            )}
          </div>
        </form>
      </section>
    </div>
  );
}

const root = document.getElementById("admin");
if (root) render(<Admin />, root);
