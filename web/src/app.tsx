// The desk: sign in, pick the event, then participants, delegations and
// imports.
import { useEffect, useState } from "preact/hooks";
import { api, failure, session, Code } from "./api";
import type { Event, Category, FieldDefinition } from "./gen/expopass/v1/event_pb";
import type { Delegation } from "./gen/expopass/v1/registration_pb";
import { type Lang, t, currentLang } from "./i18n";
import { LangPicker } from "./lang";
import { SignIn } from "./signin";
import { ParticipantsView } from "./participants";
import { DelegationsView } from "./delegations";
import { ImportView } from "./import";
import { EventProvider, type EventContext } from "./event";

type View = "participants" | "delegations" | "import";

export function App() {
  const [lang, changeLang] = useState<Lang>(currentLang());
  const [signedIn, setSignedIn] = useState(session.token() !== null);
  const [events, setEvents] = useState<Event[] | null>(null);
  const [eventId, setEventId] = useState<string | null>(session.get("event"));
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t("title");
  }, [lang]);

  useEffect(() => {
    if (!signedIn) return;
    api.events
      .listEvents({})
      .then((r) => {
        setEvents(r.events);
        if (r.events.length === 1) choose(r.events[0].id);
      })
      .catch((e) => {
        const f = failure(e);
        if (f.code === Code.Unauthenticated) {
          signOut();
          setError(t("signin.rejected"));
        } else {
          setError(f.message);
        }
      });
  }, [signedIn]);

  function choose(id: string) {
    session.set("event", id);
    setEventId(id);
  }

  function signOut() {
    session.clear();
    setSignedIn(false);
    setEvents(null);
    setEventId(null);
  }

  const langPicker = (
    <label class="lang">
      <span class="sr-only">{t("language")}</span>
      <LangPicker lang={lang} onChange={changeLang} />
    </label>
  );

  if (!signedIn) {
    return (
      <Shell right={langPicker}>
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
  if (!events || !event) {
    return (
      <Shell right={<>{langPicker}<button class="link" onClick={signOut}>{t("signout")}</button></>}>
        <section class="card narrow" aria-labelledby="pick-title">
          <h1 id="pick-title">{t("event.pick")}</h1>
          {error && <p class="error" role="alert">{error}</p>}
          {!events && !error && <p>{t("loading")}</p>}
          {events && events.length === 0 && <p>{t("event.none")}</p>}
          <ul class="events">
            {events?.map((e) => (
              <li key={e.id}>
                <button class="event" onClick={() => choose(e.id)}>
                  <strong>{e.name}</strong>
                  <span>
                    {e.code} · {e.venue} · {e.firstDay} – {e.lastDay}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      </Shell>
    );
  }
  return <Desk key={event.id} event={event} langPicker={langPicker} onSignOut={signOut} onSwitchEvent={events.length > 1 ? () => { session.set("event", ""); setEventId(null); } : undefined} />;
}

function Shell(props: { right?: preact.ComponentChildren; children: preact.ComponentChildren; center?: preact.ComponentChildren }) {
  return (
    <>
      <header class="top">
        <span class="brand">Expopass</span>
        <div class="center">{props.center}</div>
        <div class="right">{props.right}</div>
      </header>
      <main id="main">{props.children}</main>
    </>
  );
}

function Desk(props: {
  event: Event;
  langPicker: preact.ComponentChildren;
  onSignOut(): void;
  onSwitchEvent?: () => void;
}) {
  const { event } = props;
  const [view, setView] = useState<View>((session.get("view") as View) || "participants");
  const [categories, setCategories] = useState<Category[]>([]);
  const [fields, setFields] = useState<FieldDefinition[]>([]);
  const [delegations, setDelegations] = useState<Delegation[]>([]);
  const [openParticipant, setOpenParticipant] = useState<string | null>(null);

  const refreshDelegations = () => {
    api.registration
      .listDelegations({ eventId: event.id })
      .then((r) => setDelegations(r.delegations))
      .catch(() => undefined);
  };
  useEffect(() => {
    api.events
      .listCategories({ eventId: event.id })
      .then((r) => setCategories(r.categories))
      .catch(() => undefined);
    api.events
      .listFields({ eventId: event.id })
      .then((r) => setFields(r.fields))
      .catch(() => undefined);
    refreshDelegations();
  }, [event.id]);

  function go(v: View) {
    session.set("view", v);
    setView(v);
  }

  // A link from the operations board names a badge (`#badge=0001042-2`)
  // or a participant (`#participant=<id>`): open its holder.
  useEffect(() => {
    const follow = async () => {
      const hash = new URLSearchParams(location.hash.slice(1));
      const number = hash.get("badge");
      const participant = hash.get("participant");
      try {
        if (number) {
          const r = await api.badges.getBadge({ key: { case: "number", value: number } });
          if (r.badge) {
            setOpenParticipant(r.badge.participantId);
            go("participants");
          }
        } else if (participant) {
          setOpenParticipant(participant);
          go("participants");
        }
      } catch {
        // Not this desk's badge, or gone: the desk stays as it was.
      }
    };
    follow();
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, [event.id]);

  const ctx: EventContext = { event, categories, delegations, fields, refreshDelegations };
  const nav = (
    <nav aria-label={t("nav")}>
      {(["participants", "delegations", "import"] as View[]).map((v) => (
        <button key={v} class={view === v ? "tab active" : "tab"} aria-current={view === v ? "page" : undefined} onClick={() => go(v)}>
          {t(`nav.${v}`)}
        </button>
      ))}
    </nav>
  );
  return (
    <Shell
      center={
        <>
          <span class="event-name" title={event.venue}>
            {event.name}
          </span>
          {nav}
        </>
      }
      right={
        <>
          {props.langPicker}
          {props.onSwitchEvent && (
            <button class="link" onClick={props.onSwitchEvent}>
              {t("event.switch")}
            </button>
          )}
          <button class="link" onClick={props.onSignOut}>
            {t("signout")}
          </button>
        </>
      }
    >
      <EventProvider value={ctx}>
      {view === "participants" && (
        <ParticipantsView open={openParticipant} onOpen={setOpenParticipant} />
      )}
      {view === "delegations" && (
        <DelegationsView
          onOpenParticipant={(id) => {
            setOpenParticipant(id);
            go("participants");
          }}
        />
      )}
      {view === "import" && <ImportView />}
      </EventProvider>
    </Shell>
  );
}
