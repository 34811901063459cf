// Participants: search as you type, the open participant with their badge,
// and the walk-in registration.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, failure, session, type Failure } from "./api";
import { useEvent } from "./event";
import { BadgeLayout, type Badge } from "./gen/expopass/v1/badge_pb";
import { BadgeState, ParticipantStatus, type Participant } from "./gen/expopass/v1/registration_pb";
import { countryName, explain, formatDayOf, formatTime, t, localName, type Key } from "./i18n";
import { ParticipantForm } from "./form";
import { BadgeChip, Dialog, ReasonDialog, printJob, printPdf } from "./ui";
import { PhotoPanel } from "./photo";

/** What a desk types that names a badge rather than a name: its code from a hand scanner, or its printed number. */
function badgeKey(text: string): { case: "qrText"; value: string } | { case: "number"; value: string } | null {
  const typed = text.trim();
  if (/^EP1:/i.test(typed)) return { case: "qrText", value: typed };
  if (/^\d{3,9}(-\d{1,5})?$/.test(typed)) return { case: "number", value: typed };
  return null;
}

/** An email shown enough to tell people apart: the first letter, the domain. */
function maskedEmail(email: string): string {
  const at = email.indexOf("@");
  if (at < 1) return email ? "•••" : "";
  return `${email[0]}•••${email.slice(at)}`;
}

export function ParticipantsView(props: { open: string | null; onOpen(id: string | null): void }) {
  const ctx = useEvent();
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<Participant[]>([]);
  const [total, setTotal] = useState(0);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [registering, setRegistering] = useState(false);
  const [searched, setSearched] = useState(false);
  const queue = usePrintQueue(ctx.event.id);
  const seq = useRef(0);
  /** What the shown results answer, and whether Enter asked for the first of the next. */
  const resultsFor = useRef<string | null>(null);
  const openFirst = useRef(false);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLTableSectionElement>(null);

  // "/" focuses the search from anywhere but a text field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = target.closest("input, textarea, select, [contenteditable], dialog");
      if (e.key === "/" && !typing) {
        e.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  async function search(text: string) {
    const mine = ++seq.current;
    const started = performance.now();
    // A badge's code or number is looked up on Enter, not searched as a name.
    if (badgeKey(text)) {
      setResults([]);
      setTotal(0);
      setSearched(false);
      return;
    }
    try {
      const r = await api.registration.searchParticipants({
        eventId: ctx.event.id,
        namePrefix: text,
        pageSize: 50,
      });
      // A slower answer to an older keystroke never replaces a newer one.
      if (mine !== seq.current) return;
      setResults(r.participants);
      setTotal(Number(r.total));
      resultsFor.current = text;
      if (openFirst.current) {
        openFirst.current = false;
        if (r.participants.length > 0) props.onOpen(r.participants[0].id);
      }
      setSearchError(null);
      setSearched(true);
      // Keystroke to results on screen, for the browser's performance
      // timeline (and the desk's benchmark).
      requestAnimationFrame(() => {
        performance.measure("expopass:search", { start: started, end: performance.now() });
      });
    } catch (err) {
      if (mine !== seq.current) return;
      setSearchError(explain(failure(err)));
    }
  }

  /** The participant whose badge has this code or number. */
  async function openBadge(key: NonNullable<ReturnType<typeof badgeKey>>) {
    try {
      const r = await api.badges.getBadge({ key });
      if (r.badge) {
        props.onOpen(r.badge.participantId);
        setSearchError(null);
      }
    } catch (err) {
      const f = failure(err);
      setSearchError(f.code === 5 ? t("search.badge.none") : explain(f));
    }
  }

  useEffect(() => {
    search("");
  }, [ctx.event.id]);

  function refresh() {
    search(query);
  }

  /** Arrow keys move through the results; Escape goes back to the search. */
  function moveFocus(e: KeyboardEvent, from: number) {
    const rows = Array.from(list.current?.querySelectorAll<HTMLButtonElement>("button.row-link") ?? []);
    if (e.key === "ArrowDown" && from + 1 < rows.length) {
      e.preventDefault();
      rows[from + 1].focus();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (from <= 0) input.current?.focus();
      else rows[from - 1].focus();
    } else if (e.key === "Escape") {
      input.current?.focus();
    }
  }

  const delegationName = (id: string) => ctx.delegations.find((d) => d.id === id)?.name ?? "";
  const categoryName = (code: string) => {
    const c = ctx.categories.find((x) => x.code === code);
    return c ? localName(c) : code;
  };

  return (
    <div class="split">
      <section class="pane list-pane" aria-labelledby="search-label">
        <div class="toolbar">
          <label id="search-label" for="search" class="sr-only">
            {t("search.label")}
          </label>
          <input
            id="search"
            ref={input}
            type="search"
            role="searchbox"
            autocomplete="off"
            spellcheck={false}
            placeholder={t("search.placeholder")}
            value={query}
            aria-describedby="search-hint"
            onInput={(e) => {
              const v = (e.target as HTMLInputElement).value;
              setQuery(v);
              search(v);
            }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") {
                moveFocus(e, -1);
                return;
              }
              if (e.key !== "Enter") return;
              e.preventDefault();
              // A badge's code or number opens its holder.
              const key = badgeKey(query);
              if (key) {
                openBadge(key);
                return;
              }
              // The first result of what is typed, once it is there.
              if (resultsFor.current === query) {
                if (results.length > 0) props.onOpen(results[0].id);
              } else {
                openFirst.current = true;
              }
            }}
          />
          <button class="primary" onClick={() => setRegistering(true)}>
            {t("register.open")}
          </button>
        </div>
        <p id="search-hint" class="hint">
          {t("search.hint")}
        </p>
        {searchError && (
          <p class="error" role="alert">
            {searchError}
          </p>
        )}
        <div class="results" aria-live="polite" data-for={resultsFor.current ?? ""}>
          {badgeKey(query) && <p class="hint badge-typed">{t("search.badge.enter")}</p>}
          {searched && results.length === 0 && !searchError && <p class="empty">{t("search.none")}</p>}
          {results.length > 0 && (
            <>
              <p class="count" data-total={total}>
                {total > results.length ? t("search.count.more", { shown: String(results.length), n: total }) : t("search.count", { n: total })}
              </p>
              <table class="grid" aria-label={t("search.results")}>
                <thead>
                  <tr>
                    <th scope="col">{t("field.name")}</th>
                    <th scope="col">{t("field.organization")}</th>
                    <th scope="col">{t("field.country")}</th>
                    <th scope="col">{t("field.category")}</th>
                    <th scope="col">{t("badge")}</th>
                  </tr>
                </thead>
                <tbody ref={list}>
                  {results.map((p, i) => (
                    <tr key={p.id} class={props.open === p.id ? "selected" : ""} aria-current={props.open === p.id ? "true" : undefined} data-participant={p.id}>
                      <td>
                        <button class="row-link" onClick={() => props.onOpen(p.id)} onKeyDown={(e) => moveFocus(e, i)}>
                          <span class="name">
                            {p.givenName} {p.familyName}
                          </span>
                          {p.nativeName && <span class="native" dir="auto">{p.nativeName}</span>}
                          {p.delegationId && <span class="sub">{delegationName(p.delegationId)}</span>}
                          <span class="sub who">
                            {[maskedEmail(p.email), p.createdAt ? formatDayOf(p.createdAt, ctx.event.timeZone) : ""].filter(Boolean).join(" · ")}
                          </span>
                        </button>
                      </td>
                      <td>{p.organizationName}</td>
                      <td title={countryName(p.country)}>{p.country}</td>
                      <td>{categoryName(p.categoryCode)}</td>
                      <td>
                        <BadgeChip p={p} />
                        {p.badgeNumber && <span class="sub number">{p.badgeNumber}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
        <PrintQueueBar queue={queue} names={results} />
      </section>
      <section class="pane detail-pane" aria-label={t("participant")}>
        {props.open ? (
          <ParticipantDetail key={props.open} id={props.open} onChanged={refresh} onOpen={props.onOpen} queue={queue} />
        ) : (
          <p class="empty">{t("participant.none")}</p>
        )}
      </section>
      {registering && (
        <Dialog title={t("register.title")} onClose={() => setRegistering(false)} wide>
          <ParticipantForm
            onDone={(p) => {
              setRegistering(false);
              ctx.refreshDelegations();
              props.onOpen(p.id);
              refresh();
            }}
            onOpenExisting={(id) => {
              setRegistering(false);
              props.onOpen(id);
            }}
            onCancel={() => setRegistering(false)}
          />
        </Dialog>
      )}
    </div>
  );
}

/** Walk-ins waiting to be printed together, kept in the tab. */
interface PrintQueue {
  ids: string[];
  has(id: string): boolean;
  toggle(id: string): void;
  clear(): void;
}

function usePrintQueue(eventId: string): PrintQueue {
  const key = `print-queue-${eventId}`;
  const [ids, setIds] = useState<string[]>(() => JSON.parse(session.get(key) ?? "[]") as string[]);
  const save = (next: string[]) => {
    session.set(key, JSON.stringify(next));
    setIds(next);
  };
  return {
    ids,
    has: (id) => ids.includes(id),
    toggle: (id) => save(ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]),
    clear: () => save([]),
  };
}

/** The print queue: how many wait, and one PDF for all of them (an A4 sheet or a card batch). */
function PrintQueueBar(props: { queue: PrintQueue; names: Participant[] }) {
  const ctx = useEvent();
  const { queue } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ url: string; name: string } | null>(null);
  if (queue.ids.length === 0 && !done) return null;
  async function print(layout: BadgeLayout) {
    setBusy(true);
    setError(null);
    try {
      const bytes = await printJob({ eventId: ctx.event.id, selection: { case: "participantIds", value: { ids: queue.ids } }, layout });
      const name = `badges-queue-${queue.ids.length}.pdf`;
      setDone({ url: printPdf(bytes, name), name });
      queue.clear();
    } catch (err) {
      setError(explain(failure(err)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="print-queue" role="region" aria-label={t("queue.title")}>
      {queue.ids.length > 0 && (
        <>
          <strong>{t("queue.count", { n: queue.ids.length })}</strong>
          <button class="primary" disabled={busy} onClick={() => print(BadgeLayout.A4_SHEET_A6)}>
            {t("queue.sheet")}
          </button>
          <button disabled={busy} onClick={() => print(BadgeLayout.A4_SHEET_CARD)}>
            {t("queue.cards")}
          </button>
          <button class="link" disabled={busy} onClick={() => queue.clear()}>
            {t("queue.clear")}
          </button>
        </>
      )}
      {done && (
        <a href={done.url} download={done.name} id="queue-pdf">
          {t("pdf.download")}
        </a>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type Action = "edit" | "cancel" | "revoke" | "block" | null;

function ParticipantDetail(props: { id: string; onChanged(): void; onOpen(id: string): void; queue: PrintQueue }) {
  const ctx = useEvent();
  const [p, setP] = useState<Participant | null>(null);
  const [badge, setBadge] = useState<Badge | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** A notice, rendered in the current language whenever it changes. */
  const [notice, setNotice] = useState<{ key: Key; vars?: Record<string, string>; kind: "success" | "warning" } | null>(null);
  const [action, setAction] = useState<Action>(null);
  const [layout, setLayout] = useState<BadgeLayout>(BadgeLayout.A6);
  const [pdf, setPdf] = useState<{ url: string; name: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function load() {
    try {
      const r = await api.registration.getParticipant({ id: props.id });
      setP(r.participant ?? null);
      try {
        const b = await api.badges.getBadge({ key: { case: "participantId", value: props.id } });
        setBadge(b.badge ?? null);
      } catch (err) {
        const f = failure(err);
        if (f.code === 5) setBadge(null);
        else setError(explain(f));
      }
    } catch (err) {
      setError(explain(failure(err)));
    }
  }
  useEffect(() => {
    load();
  }, [props.id]);

  async function run<T>(what: () => Promise<T>, after?: (r: T) => void) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const r = await what();
      after?.(r);
      await load();
      props.onChanged();
    } catch (err) {
      setError(explain(failure(err)));
    } finally {
      setBusy(false);
    }
  }

  function issue() {
    const previous = badge && !badge.revoked ? badge : null;
    run(
      () => api.badges.issueBadge({ participantId: props.id, layout }),
      (r) => {
        const name = `badge-${r.badge?.number ?? props.id}.pdf`;
        setPdf({ url: printPdf(r.pdf, name), name });
        if (previous && r.badge) {
          setNotice({ key: "badge.reprinted", vars: { old: `${previous.number} v${previous.version}`, new: `${r.badge.number} v${r.badge.version}` }, kind: "success" });
        } else if (r.badge) {
          setNotice({ key: "badge.issued", vars: { number: `${r.badge.number} v${r.badge.version}` }, kind: "success" });
        }
      },
    );
  }

  // Alt+P prints (or reprints) the open participant's badge; Alt+Q puts
  // them in the print queue or takes them out.
  const shortcuts = useRef({ issue, queue: () => props.queue.toggle(props.id), ready: false });
  shortcuts.current = { issue, queue: () => props.queue.toggle(props.id), ready: !!p && p.status !== ParticipantStatus.CANCELLED && !busy };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey || !shortcuts.current.ready) return;
      if (e.code === "KeyP") {
        e.preventDefault();
        shortcuts.current.issue();
      } else if (e.code === "KeyQ") {
        e.preventDefault();
        shortcuts.current.queue();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  if (!p) {
    return error ? <p class="error" role="alert">{error}</p> : <p>{t("loading")}</p>;
  }
  const cancelled = p.status === ParticipantStatus.CANCELLED;
  const delegation = ctx.delegations.find((d) => d.id === p.delegationId);
  const category = ctx.categories.find((c) => c.code === p.categoryCode);
  const tz = ctx.event.timeZone;
  return (
    <article class="detail" aria-labelledby="detail-name">
      <header class="detail-head">
        <PhotoPanel participant={p} onChanged={() => { load(); props.onChanged(); }} disabled={cancelled} />
        <div>
          <h2 id="detail-name">
            {p.givenName} {p.familyName}
          </h2>
          {p.nativeName && <p class="native big" dir="auto">{p.nativeName}</p>}
          <p>
            <BadgeChip p={p} />
          </p>
        </div>
      </header>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p class={`notice ${notice.kind}`} role="status">
          {t(notice.key, notice.vars)}
        </p>
      )}
      <section class="badge-box" aria-labelledby="badge-title">
        <h3 id="badge-title">{t("badge")}</h3>
        {badge ? (
          <p>
            {t("badge.number")} <strong>{badge.number}</strong> · v{badge.version} · {formatTime(badge.issuedAt, tz)}
            {badge.revoked && <> · <span class="chip bad">{t("badge.state.revoked")}</span> {badge.revocationNote}</>}
            {badge.blocked && <> · <span class="chip bad">{t("badge.state.blocked")}</span> {badge.blockReason}</>}
          </p>
        ) : (
          <p>{t("badge.state.none")}</p>
        )}
        {p.badgeState === BadgeState.OUTDATED && <p class="notice">{t("badge.outdated.hint")}</p>}
        <div class="actions">
          <label>
            <span class="sr-only">{t("badge.layout")}</span>
            <select aria-label={t("badge.layout")} value={layout} onChange={(e) => setLayout(Number((e.target as HTMLSelectElement).value))}>
              <option value={BadgeLayout.A6}>{t("layout.a6")}</option>
              <option value={BadgeLayout.CARD}>{t("layout.card")}</option>
            </select>
          </label>
          <button class="primary" disabled={busy || cancelled} onClick={issue} aria-keyshortcuts="Alt+P" title="Alt+P">
            {badge && !badge.revoked ? t("badge.reprint") : t("badge.issue")}
          </button>
          <button disabled={busy || cancelled} onClick={() => props.queue.toggle(p.id)} aria-keyshortcuts="Alt+Q" title="Alt+Q" aria-pressed={props.queue.has(p.id)}>
            {props.queue.has(p.id) ? t("queue.remove") : t("queue.add")}
          </button>
          {badge && !badge.revoked && (
            <button disabled={busy} onClick={() => setAction("revoke")}>
              {t("badge.revoke")}
            </button>
          )}
          {badge && !badge.blocked && (
            <button disabled={busy} onClick={() => setAction("block")}>
              {t("badge.block")}
            </button>
          )}
          {badge?.blocked && (
            <button disabled={busy} onClick={() => run(() => api.badges.unblockBadge({ badgeId: badge.id }), () => setNotice({ key: "badge.unblocked", kind: "success" }))}>
              {t("badge.unblock")}
            </button>
          )}
        </div>
        {pdf && (
          <p class="pdf-links">
            <a href={pdf.url} target="_blank" rel="noopener" id="badge-pdf">
              {t("pdf.open")}
            </a>
            <a href={pdf.url} download={pdf.name}>
              {t("pdf.download")}
            </a>
          </p>
        )}
      </section>

      <div class="actions">
        <button disabled={busy || cancelled} onClick={() => setAction("edit")}>
          {t("edit")}
        </button>
        <button class="danger" disabled={busy || cancelled} onClick={() => setAction("cancel")}>
          {t("cancel.participant")}
        </button>
      </div>

      <dl class="facts">
        <dt>{t("field.organization")}</dt>
        <dd>{p.organizationName || "—"}</dd>
        <dt>{t("field.country")}</dt>
        <dd>{countryName(p.country)} ({p.country})</dd>
        <dt>{t("field.category")}</dt>
        <dd>{category ? `${localName(category)} (${category.code})` : p.categoryCode}</dd>
        <dt>{t("field.delegation")}</dt>
        <dd>{delegation?.name ?? "—"}</dd>
        <dt>{t("field.job_title")}</dt>
        <dd>{p.jobTitle || "—"}</dd>
        <dt>{t("field.email")}</dt>
        <dd>{p.email || "—"}</dd>
        <dt>{t("field.phone")}</dt>
        <dd>{p.phone || "—"}</dd>
        <dt>{t("field.travel_document")}</dt>
        <dd>{p.hasTravelDocument ? p.travelDocumentMasked || t("on.file") : "—"}</dd>
        {p.externalRef && (
          <>
            <dt>{t("field.external_ref")}</dt>
            <dd>{p.externalRef}</dd>
          </>
        )}
        <dt>{t("registered.at")}</dt>
        <dd>{formatTime(p.createdAt, tz)}</dd>
        {cancelled && (
          <>
            <dt>{t("cancel.reason")}</dt>
            <dd>{p.cancelReason}</dd>
          </>
        )}
      </dl>


      {action === "edit" && (
        <Dialog title={t("edit.title")} onClose={() => setAction(null)} wide>
          <ParticipantForm
            existing={p}
            onDone={() => {
              setAction(null);
              load();
              props.onChanged();
              ctx.refreshDelegations();
            }}
            onOpenExisting={(id) => {
              setAction(null);
              props.onOpen(id);
            }}
            onCancel={() => setAction(null)}
          />
        </Dialog>
      )}
      {action === "cancel" && (
        <ReasonDialog
          title={t("cancel.title", { name: `${p.givenName} ${p.familyName}` })}
          label={t("cancel.reason")}
          confirm={t("cancel.participant")}
          onClose={() => setAction(null)}
          onConfirm={(reason) =>
            api.registration.cancelParticipant({ id: p.id, reason }).then(() => {
              setAction(null);
              setNotice({ key: "cancelled", kind: "success" });
              load();
              props.onChanged();
              ctx.refreshDelegations();
            })
          }
        />
      )}
      {action === "revoke" && badge && (
        <ReasonDialog
          title={t("badge.revoke")}
          label={t("revoke.note")}
          confirm={t("badge.revoke")}
          onClose={() => setAction(null)}
          onConfirm={(note) =>
            api.badges.revokeBadge({ badgeId: badge.id, note }).then(() => {
              setAction(null);
              setNotice({ key: "badge.revoked.done", kind: "success" });
              load();
              props.onChanged();
            })
          }
        />
      )}
      {action === "block" && badge && (
        <ReasonDialog
          title={t("badge.block")}
          label={t("block.reason")}
          confirm={t("badge.block")}
          onClose={() => setAction(null)}
          onConfirm={(reason) =>
            api.badges.blockBadge({ badgeId: badge.id, reason }).then(() => {
              setAction(null);
              setNotice({ key: "badge.blocked.done", kind: "warning" });
              load();
              props.onChanged();
            })
          }
        />
      )}
    </article>
  );
}

export type { Failure };
