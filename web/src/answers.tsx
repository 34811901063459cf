// The event's own questions on the participant form: the right input for
// each kind of field, the fields the chosen category is asked (and those
// show-if reveals), the same checks the server makes, and its violations
// shown by field.
import type { FieldDefinition } from "./gen/expopass/v1/event_pb";
import type { AnswerValue } from "./gen/expopass/v1/registration_pb";
import { checkAnswers, isShown, placementOf, type Field, type Raw, type Value } from "./fields";
import { COUNTRY_CODES, countryName, currentLang, t, type Key } from "./i18n";

/** What the form holds of an answer: its text (or option keys), and the holder's wish to print it. */
export interface Typed {
  text: string;
  choices: string[];
  onBadge: boolean;
}

export type Typing = Record<string, Typed>;

const empty = (): Typed => ({ text: "", choices: [], onBadge: false });

/** The form's answers from a participant's stored ones. */
export function typingOf(answers: { [key: string]: AnswerValue } | undefined): Typing {
  const out: Typing = {};
  for (const [key, a] of Object.entries(answers ?? {})) {
    const v = a.value;
    const typed = empty();
    typed.onBadge = a.onBadge;
    if (v.case === "text") typed.text = v.value;
    else if (v.case === "integer") typed.text = String(v.value);
    else if (v.case === "boolean") typed.text = v.value ? "true" : "false";
    else if (v.case === "choices") typed.choices = [...v.value.keys];
    out[key] = typed;
  }
  return out;
}

/** A definition as the shared checks read it. */
export function asField(f: FieldDefinition): Field {
  return f as unknown as Field;
}

function label(f: FieldDefinition): string {
  const l = currentLang();
  const texts = f.label;
  return (l === "ru" ? texts?.ru : l === "uz" ? texts?.uz : texts?.en) || texts?.en || f.key;
}

function help(f: FieldDefinition): string {
  const l = currentLang();
  const texts = f.help;
  return (l === "ru" ? texts?.ru : l === "uz" ? texts?.uz : texts?.en) || texts?.en || "";
}

function optionLabel(o: FieldDefinition["options"][number]): string {
  const l = currentLang();
  return (l === "ru" ? o.label?.ru : l === "uz" ? o.label?.uz : o.label?.en) || o.label?.en || o.key;
}

function raw(f: FieldDefinition, typed: Typed | undefined): Raw | undefined {
  if (!typed) return undefined;
  if (f.kind === "multiple_choice") return typed.choices.length ? { choices: typed.choices } : undefined;
  return typed.text.trim() ? { text: typed.text } : undefined;
}

/** The answers so far as stored values, for show-if. */
function current(fields: FieldDefinition[], typing: Typing): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const f of fields) {
    const typed = typing[f.key];
    if (!typed) continue;
    if (f.kind === "multiple_choice") {
      if (typed.choices.length) out[f.key] = typed.choices;
    } else if (f.kind === "boolean") {
      if (typed.text) out[f.key] = typed.text === "true";
    } else if (typed.text.trim()) out[f.key] = typed.text.trim();
  }
  return out;
}

/** The fields the form shows for `category` now. */
export function shownFields(fields: FieldDefinition[], category: string, typing: Typing): FieldDefinition[] {
  const values = current(fields, typing);
  const asFields = fields.map(asField);
  return fields.filter(
    (f) => f.scope === "participant" && placementOf(asField(f), category) && isShown(asFields, f.key, values),
  );
}

/** The page's own check of the answers: violations by key, in the interface language. */
export function answerErrors(fields: FieldDefinition[], category: string, typing: Typing, stored: Typing): Record<string, string> {
  const given: Record<string, Raw> = {};
  for (const f of shownFields(fields, category, typing)) {
    const r = raw(f, typing[f.key]);
    if (r) given[f.key] = r;
    else if (stored[f.key]) given[f.key] = { clear: true };
  }
  const out = checkAnswers(fields.map(asField), "participant", category, given);
  const errors: Record<string, string> = {};
  if ("violations" in out) {
    for (const v of out.violations) errors[v.field.replace(/^answers\./, "")] = t(`answer.${v.code}` as Key);
  }
  return errors;
}

/** The answers to send: every shown answer given (a registration), or those changed from `stored` (an edit). */
export function wireAnswers(
  fields: FieldDefinition[],
  category: string,
  typing: Typing,
  stored?: Typing,
): { [key: string]: { value: AnswerValue["value"]; onBadge: boolean } } {
  const out: { [key: string]: { value: AnswerValue["value"]; onBadge: boolean } } = {};
  for (const f of shownFields(fields, category, typing)) {
    const typed = typing[f.key] ?? empty();
    const before = stored?.[f.key];
    const same =
      before &&
      before.text === typed.text &&
      before.onBadge === typed.onBadge &&
      before.choices.join("\u0000") === typed.choices.join("\u0000");
    if (stored && (same || (!before && !raw(f, typed)))) continue;
    const r = raw(f, typed);
    out[f.key] = {
      value: !r
        ? { case: undefined }
        : "choices" in r
          ? { case: "choices", value: { keys: r.choices } as never }
          : { case: "text", value: typed.text },
      onBadge: typed.onBadge,
    };
  }
  return out;
}

/** The inputs of the questions the category is asked. */
export function AnswersSection(props: {
  fields: FieldDefinition[];
  category: string;
  typing: Typing;
  errors: Record<string, string>;
  onChange(key: string, typed: Typed): void;
}) {
  const shown = shownFields(props.fields, props.category, props.typing);
  if (shown.length === 0) return null;
  return (
    <fieldset class="answers">
      <legend>{t("answers.title")}</legend>
      <div class="form-grid">
        {shown.map((f) => {
          const id = `a-${f.key}`;
          const typed = props.typing[f.key] ?? empty();
          const err = props.errors[f.key];
          const place = placementOf(asField(f), props.category);
          const set = (change: Partial<Typed>) => props.onChange(f.key, { ...typed, ...change });
          const describedBy = err ? `${id}-error` : help(f) ? `${id}-hint` : undefined;
          const common = {
            id,
            name: `answers.${f.key}`,
            "aria-invalid": err ? ("true" as const) : undefined,
            "aria-describedby": describedBy,
            required: place?.required,
          };
          let control: preact.JSX.Element;
          if (f.kind === "long_text") {
            control = <textarea {...common} rows={3} value={typed.text} dir="auto" onInput={(e) => set({ text: (e.target as HTMLTextAreaElement).value })} />;
          } else if (f.kind === "boolean") {
            control = (
              <select {...common} value={typed.text} onChange={(e) => set({ text: (e.target as HTMLSelectElement).value })}>
                <option value="">—</option>
                <option value="true">{t("answers.yes")}</option>
                <option value="false">{t("answers.no")}</option>
              </select>
            );
          } else if (f.kind === "single_choice") {
            control = (
              <select {...common} value={typed.text} onChange={(e) => set({ text: (e.target as HTMLSelectElement).value })}>
                <option value="">—</option>
                {f.options
                  .filter((o) => !o.retired || o.key === typed.text)
                  .map((o) => (
                    <option key={o.key} value={o.key}>
                      {optionLabel(o)}
                    </option>
                  ))}
              </select>
            );
          } else if (f.kind === "multiple_choice") {
            control = (
              <div id={id} role="group" aria-describedby={describedBy} class="choices">
                {f.options
                  .filter((o) => !o.retired || typed.choices.includes(o.key))
                  .map((o) => (
                    <label key={o.key} class="choice">
                      <input
                        type="checkbox"
                        name={`answers.${f.key}`}
                        checked={typed.choices.includes(o.key)}
                        onChange={(e) => {
                          const on = (e.target as HTMLInputElement).checked;
                          set({ choices: on ? [...typed.choices, o.key] : typed.choices.filter((k) => k !== o.key) });
                        }}
                      />
                      {optionLabel(o)}
                    </label>
                  ))}
              </div>
            );
          } else {
            const type = f.kind === "email" ? "email" : f.kind === "phone" ? "tel" : f.kind === "date" ? "date" : "text";
            control = (
              <input
                {...common}
                type={type}
                inputMode={f.kind === "integer" ? "numeric" : f.kind === "decimal" ? "decimal" : undefined}
                list={f.kind === "country" ? "answer-countries" : undefined}
                dir={f.kind === "text" ? "auto" : undefined}
                autocomplete="off"
                value={typed.text}
                onInput={(e) => set({ text: (e.target as HTMLInputElement).value })}
              />
            );
          }
          return (
            <div key={f.key} class={err ? "field invalid" : "field"} data-answer={f.key}>
              <label for={id}>
                {label(f)}
                {place?.required && <span aria-hidden="true"> *</span>}
              </label>
              {control}
              {place?.badge === "choice" && (
                <label class="choice">
                  <input type="checkbox" checked={typed.onBadge} onChange={(e) => set({ onBadge: (e.target as HTMLInputElement).checked })} />
                  {t("answers.on_badge")}
                </label>
              )}
              {help(f) && !err && (
                <small id={`${id}-hint`} class="hint">
                  {help(f)}
                </small>
              )}
              {err && (
                <small id={`${id}-error`} class="field-error">
                  {err}
                </small>
              )}
            </div>
          );
        })}
      </div>
      {shown.some((f) => f.kind === "country") && (
        <datalist id="answer-countries">
          {COUNTRY_CODES.map((c) => (
            <option key={c} value={c} label={countryName(c)} />
          ))}
        </datalist>
      )}
    </fieldset>
  );
}
