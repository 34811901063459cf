// The participant form: a walk-in's registration, or an edit of someone
// registered. Every field violation the server sends shows by its field.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, failure, requestId, Code, type Failure } from "./api";
import { useEvent, type EventContext } from "./event";
import { OrganizationKind, type Organization, type Participant } from "./gen/expopass/v1/registration_pb";
import { COUNTRY_CODES, countryName, explain, t, localName } from "./i18n";
import { AnswersSection, answerErrors, typingOf, wireAnswers, type Typing } from "./answers";

const FIELDS = [
  "given_name",
  "family_name",
  "native_name",
  "country",
  "category_code",
  "organization",
  "delegation",
  "job_title",
  "email",
  "phone",
  "travel_document",
  "external_ref",
] as const;
type Field = (typeof FIELDS)[number];
type Values = Record<Field, string>;

function valuesOf(p: Participant | undefined, ctx: EventContext): Values {
  return {
    given_name: p?.givenName ?? "",
    family_name: p?.familyName ?? "",
    native_name: p?.nativeName ?? "",
    country: p?.country ?? "",
    category_code: p?.categoryCode ?? "",
    organization: p?.organizationName ?? "",
    delegation: ctx.delegations.find((d) => d.id === p?.delegationId)?.name ?? "",
    job_title: p?.jobTitle ?? "",
    email: p?.email ?? "",
    phone: p?.phone ?? "",
    travel_document: "",
    external_ref: p?.externalRef ?? "",
  };
}

/** The form's field that a server field path (e.g. "participant.email") names. */
function fieldOf(path: string): Field | null {
  const last = path.split(".").pop() ?? path;
  if (last === "organization_id") return "organization";
  if (last === "delegation_id") return "delegation";
  return (FIELDS as readonly string[]).includes(last) ? (last as Field) : null;
}

interface Conflict {
  current: Participant;
  changed: { field: Field; read: string; now: string }[];
}

export function ParticipantForm(props: {
  existing?: Participant;
  onDone(p: Participant): void;
  onOpenExisting(id: string): void;
  onCancel(): void;
}) {
  const ctx = useEvent();
  const { existing } = props;
  const [base, setBase] = useState<Participant | undefined>(existing);
  const [values, setValues] = useState<Values>(() => valuesOf(existing, ctx));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [typing, setTyping] = useState<Typing>(() => typingOf(existing?.answers));
  const [answerErrs, setAnswerErrs] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<{ text: string; existing?: string } | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [busy, setBusy] = useState(false);
  const key = useRef(requestId());
  const form = useRef<HTMLFormElement>(null);

  // Organisations as the operator types.
  useEffect(() => {
    const prefix = values.organization.trim();
    const timer = setTimeout(() => {
      api.registration
        .listOrganizations({ eventId: ctx.event.id, namePrefix: prefix, pageSize: 20 })
        .then((r) => setOrgs(r.organizations))
        .catch(() => undefined);
    }, 80);
    return () => clearTimeout(timer);
  }, [values.organization]);

  const set = (f: Field) => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    setValues((old) => ({ ...old, [f]: v }));
    if (errors[f]) setErrors((old) => ({ ...old, [f]: undefined }));
  };

  /** Client-side checks the server would make anyway, for a quicker answer. */
  function localErrors(): Partial<Record<Field, string>> {
    const e: Partial<Record<Field, string>> = {};
    if (!values.given_name.trim()) e.given_name = t("error.required");
    if (!values.family_name.trim()) e.family_name = t("error.required");
    if (!values.category_code.trim()) e.category_code = t("error.required");
    if (!values.country.trim()) e.country = t("error.required");
    if (values.delegation.trim() && !ctx.delegations.some((d) => d.name === values.delegation.trim())) {
      e.delegation = t("error.pick.delegation");
    }
    return e;
  }

  function countryCode(v: string): string {
    const s = v.trim();
    if (/^[a-z]{2}$/i.test(s)) return s.toUpperCase();
    const hit = COUNTRY_CODES.find((c) => countryName(c).toLowerCase() === s.toLowerCase());
    return hit ?? s;
  }

  async function organizationId(): Promise<string> {
    const name = values.organization.trim();
    if (!name) return "";
    const known = orgs.find((o) => o.name.toLowerCase() === name.toLowerCase());
    if (known) return known.id;
    const listed = await api.registration.listOrganizations({ eventId: ctx.event.id, namePrefix: name, pageSize: 20 });
    const found = listed.organizations.find((o) => o.name.toLowerCase() === name.toLowerCase());
    if (found) return found.id;
    // A walk-in's company the event does not know yet.
    const created = await api.registration.createOrganization({
      requestId: requestId(),
      eventId: ctx.event.id,
      name,
      country: countryCode(values.country),
      kind: OrganizationKind.COMPANY,
    });
    return created.organization?.id ?? "";
  }

  function show(f: Failure) {
    const fieldErrors: Partial<Record<Field, string>> = {};
    const answerFieldErrors: Record<string, string> = {};
    let unplaced = "";
    for (const [path, text] of Object.entries(f.fields)) {
      const answer = /(?:^|\.)answers\.(.+)$/.exec(path);
      const field = fieldOf(path);
      if (answer) answerFieldErrors[answer[1]] = text;
      else if (field) fieldErrors[field] = text;
      else unplaced += `${path}: ${text} `;
    }
    setErrors(fieldErrors);
    setAnswerErrs(answerFieldErrors);
    const firstAnswer = Object.keys(answerFieldErrors)[0];
    if (firstAnswer && Object.keys(fieldErrors).length === 0) {
      form.current?.querySelector<HTMLElement>(`[data-answer="${firstAnswer}"] input, [data-answer="${firstAnswer}"] select, [data-answer="${firstAnswer}"] textarea`)?.focus();
    }
    if (f.reason === "DUPLICATE_PARTICIPANT") {
      setProblem({ text: t("register.duplicate"), existing: f.metadata.participant_id });
    } else if (f.reason === "DELEGATION_QUOTA_EXCEEDED") {
      const category = ctx.categories.find((c) => c.code === values.category_code.trim().toUpperCase());
      setProblem({
        text: t("register.quota", {
          delegation: values.delegation.trim(),
          category: category ? `${category.name} (${category.code})` : values.category_code,
          quota: f.metadata.quota ?? "?",
        }),
      });
    } else if (Object.keys(fieldErrors).length > 0 || Object.keys(answerFieldErrors).length > 0) {
      setProblem(unplaced ? { text: unplaced } : null);
      const first = FIELDS.find((x) => fieldErrors[x]);
      if (first) form.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus();
    } else {
      setProblem({ text: explain(f) });
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setProblem(null);
    const local = localErrors();
    setErrors(local);
    const category = values.category_code.trim().toUpperCase();
    const localAnswers = answerErrors(ctx.fields, category, typing, typingOf(base?.answers));
    setAnswerErrs(localAnswers);
    if (Object.keys(local).length > 0) {
      const first = FIELDS.find((x) => local[x]);
      if (first) form.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus();
      return;
    }
    const firstAnswer = Object.keys(localAnswers)[0];
    if (firstAnswer) {
      form.current?.querySelector<HTMLElement>(`[data-answer="${firstAnswer}"] input, [data-answer="${firstAnswer}"] select, [data-answer="${firstAnswer}"] textarea`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const organization_id = await organizationId();
      const delegation_id = ctx.delegations.find((d) => d.name === values.delegation.trim())?.id ?? "";
      if (!base) {
        const r = await api.registration.registerParticipant({
          requestId: key.current,
          eventId: ctx.event.id,
          participant: {
            givenName: values.given_name,
            familyName: values.family_name,
            nativeName: values.native_name,
            organizationId: organization_id,
            country: countryCode(values.country),
            jobTitle: values.job_title,
            categoryCode: values.category_code.trim(),
            delegationId: delegation_id,
            email: values.email.trim(),
            phone: values.phone,
            travelDocument: values.travel_document,
            externalRef: values.external_ref,
            answers: wireAnswers(ctx.fields, values.category_code.trim().toUpperCase(), typing),
          },
        });
        if (r.participant) props.onDone(r.participant);
      } else {
        await update(base, organization_id);
      }
    } catch (err) {
      const f = failure(err);
      // A retried registration with other values needs a key of its own.
      if (f.reason === "IDEMPOTENCY_KEY_REUSED") key.current = requestId();
      if (f.code === Code.Aborted && f.reason === "VERSION_CONFLICT" && base) {
        await showConflict(base);
      } else {
        show(f);
      }
    } finally {
      setBusy(false);
    }
  }

  async function update(read: Participant, organization_id: string) {
    const was = valuesOf(read, ctx);
    const changed = (f: Field) => values[f] !== was[f];
    const r = await api.registration.updateParticipant({
      id: read.id,
      expectedVersion: read.version,
      givenName: changed("given_name") ? values.given_name : undefined,
      familyName: changed("family_name") ? values.family_name : undefined,
      nativeName: changed("native_name") ? values.native_name : undefined,
      organizationId: changed("organization") ? organization_id : undefined,
      country: changed("country") ? countryCode(values.country) : undefined,
      jobTitle: changed("job_title") ? values.job_title : undefined,
      categoryCode: changed("category_code") ? values.category_code.trim() : undefined,
      email: changed("email") ? values.email.trim() : undefined,
      phone: changed("phone") ? values.phone : undefined,
      travelDocument: values.travel_document ? values.travel_document : undefined,
      answers: wireAnswers(ctx.fields, values.category_code.trim().toUpperCase(), typing, typingOf(read.answers)),
    });
    if (r.participant) props.onDone(r.participant);
  }

  async function showConflict(read: Participant) {
    const r = await api.registration.getParticipant({ id: read.id });
    const current = r.participant;
    if (!current) return;
    const was = valuesOf(read, ctx);
    const now = valuesOf(current, ctx);
    const changed = FIELDS.filter((f) => was[f] !== now[f]).map((f) => ({ field: f, read: was[f], now: now[f] }));
    setConflict({ current, changed });
  }

  const list = (id: string, options: { value: string; label?: string }[]) => (
    <datalist id={id}>
      {options.map((o) => (
        <option key={o.value} value={o.value} label={o.label} />
      ))}
    </datalist>
  );

  const input = (f: Field, opts: { required?: boolean; type?: "text" | "email" | "tel"; list?: string; dir?: "auto"; autocomplete?: string; disabled?: boolean; hint?: string } = {}) => {
    const id = `f-${f}`;
    const err = errors[f];
    return (
      <div class={err ? "field invalid" : "field"}>
        <label for={id}>
          {t(`field.${f}`)}
          {opts.required && <span aria-hidden="true"> *</span>}
        </label>
        <input
          id={id}
          name={f}
          type={opts.type ?? "text"}
          value={values[f]}
          list={opts.list}
          dir={opts.dir}
          required={opts.required}
          disabled={opts.disabled}
          autocomplete={opts.autocomplete ?? "off"}
          aria-invalid={err ? "true" : undefined}
          aria-describedby={err ? `${id}-error` : opts.hint ? `${id}-hint` : undefined}
          onInput={set(f)}
        />
        {opts.hint && !err && (
          <small id={`${id}-hint`} class="hint">
            {opts.hint}
          </small>
        )}
        {err && (
          <small id={`${id}-error`} class="field-error">
            {err}
          </small>
        )}
      </div>
    );
  };

  if (conflict && base) {
    return (
      <div class="stack" role="alert" aria-live="assertive">
        <p class="notice">{t("conflict.text")}</p>
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">{t("conflict.field")}</th>
              <th scope="col">{t("conflict.read")}</th>
              <th scope="col">{t("conflict.now")}</th>
              <th scope="col">{t("conflict.yours")}</th>
            </tr>
          </thead>
          <tbody>
            {conflict.changed.map((c) => (
              <tr key={c.field}>
                <th scope="row">{t(`field.${c.field}`)}</th>
                <td>{c.read || "—"}</td>
                <td>{c.now || "—"}</td>
                <td>{values[c.field] || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="actions">
          <button
            class="primary"
            onClick={() => {
              // The operator's own changes (from what they read), on top of
              // the current version: the other change stays.
              const read = valuesOf(base, ctx);
              const merged = valuesOf(conflict.current, ctx);
              for (const f of FIELDS) if (values[f] !== read[f]) merged[f] = values[f];
              setValues(merged);
              setBase(conflict.current);
              setConflict(null);
            }}
          >
            {t("conflict.retry")}
          </button>
          <button
            onClick={() => {
              setBase(conflict.current);
              setValues(valuesOf(conflict.current, ctx));
              setConflict(null);
            }}
          >
            {t("conflict.reload")}
          </button>
        </div>
      </div>
    );
  }

  return (
    <form ref={form} onSubmit={submit} noValidate class="participant-form">
      {problem && (
        <div class="problem" role="alert">
          <p>{problem.text}</p>
          {problem.existing && (
            <button type="button" class="primary" onClick={() => props.onOpenExisting(problem.existing!)}>
              {t("register.open.existing")}
            </button>
          )}
        </div>
      )}
      <div class="form-grid">
        {input("given_name", { required: true, autocomplete: "off" })}
        {input("family_name", { required: true })}
        {input("native_name", { dir: "auto", hint: t("hint.native") })}
        {input("country", { required: true, list: "countries", hint: t("hint.picker") })}
        {input("category_code", { required: true, list: "categories", hint: t("hint.picker") })}
        {input("organization", { list: "organizations", hint: t("hint.organization") })}
        {input("delegation", { list: "delegations", disabled: !!base, hint: base ? undefined : t("hint.picker") })}
        {input("job_title")}
        {input("email", { type: "email" })}
        {input("phone", { type: "tel" })}
        {input("travel_document", { hint: base?.hasTravelDocument ? t("hint.document.kept") : undefined })}
        {input("external_ref", { disabled: !!base })}
      </div>
      <AnswersSection
        fields={ctx.fields}
        category={values.category_code.trim().toUpperCase()}
        typing={typing}
        errors={answerErrs}
        onChange={(key, typed) => {
          setTyping((old) => ({ ...old, [key]: typed }));
          if (answerErrs[key]) setAnswerErrs((old) => ({ ...old, [key]: "" }));
        }}
      />
      {list(
        "countries",
        COUNTRY_CODES.map((c) => ({ value: c, label: countryName(c) })),
      )}
      {list(
        "categories",
        ctx.categories.map((c) => ({ value: c.code, label: localName(c) })),
      )}
      {list(
        "organizations",
        orgs.map((o) => ({ value: o.name })),
      )}
      {list(
        "delegations",
        ctx.delegations.map((d) => ({ value: d.name, label: countryName(d.country) })),
      )}
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          {base ? t("save") : t("register.submit")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("back")}
        </button>
      </div>
    </form>
  );
}
