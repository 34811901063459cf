// Delegations: members, head, quota use, and printing every badge at once.
import { useEffect, useState } from "preact/hooks";
import { api, failure } from "./api";
import { useEvent } from "./event";
import { BadgeLayout } from "./gen/expopass/v1/badge_pb";
import type { GetDelegationResponse } from "./gen/expopass/v1/registration_pb";
import { countryName, explain, t, localName } from "./i18n";
import { BadgeChip, printJob, printPdf } from "./ui";

export function DelegationsView(props: { onOpenParticipant(id: string): void }) {
  const ctx = useEvent();
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div class="split">
      <section class="pane list-pane" aria-labelledby="delegations-title">
        <h1 id="delegations-title" class="pane-title">
          {t("nav.delegations")}
        </h1>
        {ctx.delegations.length === 0 && <p class="empty">{t("delegations.none")}</p>}
        <ul class="plain scroll-list">
          {ctx.delegations.map((d) => (
            <li key={d.id}>
              <button class={open === d.id ? "row-link selected" : "row-link"} aria-current={open === d.id ? "true" : undefined} onClick={() => setOpen(d.id)}>
                <span class="name">{d.name}</span>
                <span class="sub">
                  {countryName(d.country)} · {t("members", { n: String(d.memberCount) })}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section class="pane detail-pane" aria-label={t("delegation")}>
        {open ? <DelegationDetail key={open} id={open} onOpenParticipant={props.onOpenParticipant} /> : <p class="empty">{t("delegation.none")}</p>}
      </section>
    </div>
  );
}

function DelegationDetail(props: { id: string; onOpenParticipant(id: string): void }) {
  const ctx = useEvent();
  const [data, setData] = useState<GetDelegationResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [pdf, setPdf] = useState<{ url: string; name: string } | null>(null);
  const [layout, setLayout] = useState<BadgeLayout>(BadgeLayout.A4_SHEET_A6);
  const [printing, setPrinting] = useState(false);

  useEffect(() => {
    api.registration
      .getDelegation({ id: props.id })
      .then(setData)
      .catch((e) => setError(explain(failure(e))));
  }, [props.id]);

  async function printAll() {
    setPrinting(true);
    setError(null);
    setPdf(null);
    setProgress({ done: 0, total: data?.delegation?.memberCount ?? 0 });
    try {
      const all = await printJob(
        { eventId: ctx.event.id, selection: { case: "delegationId", value: props.id }, layout },
        (done, total) => setProgress({ done, total }),
      );
      const name = `badges-${data?.delegation?.country ?? ""}-${props.id.slice(0, 8)}.pdf`;
      setPdf({ url: printPdf(all, name), name });
      const r = await api.registration.getDelegation({ id: props.id });
      setData(r);
    } catch (e) {
      setError(explain(failure(e)));
    } finally {
      setPrinting(false);
    }
  }

  if (!data?.delegation) return error ? <p class="error" role="alert">{error}</p> : <p>{t("loading")}</p>;
  const d = data.delegation;
  const head = data.members.find((m) => m.id === d.headParticipantId);
  const categoryName = (code: string) => {
    const c = ctx.categories.find((x) => x.code === code);
    return c ? localName(c) : code;
  };
  return (
    <article class="detail" aria-labelledby="delegation-name">
      <h2 id="delegation-name">{d.name}</h2>
      <p>
        {countryName(d.country)} · {t("members", { n: String(d.memberCount) })}
      </p>
      <p>
        {t("delegation.head")}: <strong>{head ? `${head.givenName} ${head.familyName}` : "—"}</strong>
      </p>
      <section aria-labelledby="quota-title">
        <h3 id="quota-title">{t("delegation.quotas")}</h3>
        <ul class="quotas">
          {d.quotas.map((q) => {
            const full = q.used >= q.quota;
            return (
              <li key={q.categoryCode}>
                <span class="quota-label" id={`q-${q.categoryCode}`}>
                  {categoryName(q.categoryCode)} ({q.categoryCode})
                </span>
                <span class={full ? "bar full" : "bar"} role="meter" aria-labelledby={`q-${q.categoryCode}`} aria-valuemin={0} aria-valuemax={q.quota} aria-valuenow={q.used}>
                  <span style={{ width: `${q.quota ? Math.min(100, (100 * q.used) / q.quota) : 100}%` }} />
                </span>
                <span class="quota-count">
                  {q.used} / {q.quota}
                </span>
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby="print-title" class="badge-box">
        <h3 id="print-title">{t("print.all")}</h3>
        <div class="actions">
          <label>
            <span class="sr-only">{t("badge.layout")}</span>
            <select aria-label={t("badge.layout")} value={layout} onChange={(e) => setLayout(Number((e.target as HTMLSelectElement).value))}>
              <option value={BadgeLayout.A4_SHEET_A6}>{t("layout.sheet.a6")}</option>
              <option value={BadgeLayout.A4_SHEET_CARD}>{t("layout.sheet.card")}</option>
              <option value={BadgeLayout.A6}>{t("layout.a6")}</option>
              <option value={BadgeLayout.CARD}>{t("layout.card")}</option>
            </select>
          </label>
          <button class="primary" disabled={printing || d.memberCount === 0} onClick={printAll}>
            {t("print.all")}
          </button>
        </div>
        {progress && (
          <div class="progress">
            <label for="print-progress">
              {t("print.progress", { done: String(progress.done), total: String(progress.total) })}
            </label>
            <progress id="print-progress" max={progress.total || 1} value={progress.done} />
          </div>
        )}
        {pdf && (
          <p class="pdf-links">
            <a href={pdf.url} target="_blank" rel="noopener" id="delegation-pdf">
              {t("pdf.open")}
            </a>
            <a href={pdf.url} download={pdf.name}>
              {t("pdf.download")}
            </a>
          </p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      <section aria-labelledby="members-title">
        <h3 id="members-title">{t("delegation.members")}</h3>
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">{t("field.name")}</th>
              <th scope="col">{t("field.category")}</th>
              <th scope="col">{t("badge")}</th>
            </tr>
          </thead>
          <tbody>
            {data.members.map((m) => (
              <tr key={m.id}>
                <td>
                  <button class="row-link" onClick={() => props.onOpenParticipant(m.id)}>
                    <span class="name">
                      {m.givenName} {m.familyName}
                      {m.id === d.headParticipantId && <span class="chip">{t("delegation.head")}</span>}
                    </span>
                    {m.nativeName && <span class="native" dir="auto">{m.nativeName}</span>}
                  </button>
                </td>
                <td>{categoryName(m.categoryCode)}</td>
                <td>
                  <BadgeChip p={m} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </article>
  );
}
