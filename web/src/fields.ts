// Custom registration fields on the desk: the same checks the server makes
// (src/domain/fields/answers.rs), so the operator sees a bad answer by its
// field before the form is sent. The server's verdict still decides;
// tests/data/field_cases.json holds the cases both sides must agree on.
import countries from "i18n-iso-countries";

/** A text in the interface languages. */
export interface Texts {
  en: string;
  ru?: string;
  uz?: string;
}

export interface FieldOption {
  key: string;
  label?: Texts;
  retired?: boolean;
}

export interface Placement {
  required: boolean;
  badge: string;
  gate: boolean;
  export: boolean;
}

/** A field as ListFields answers it (protobuf-es names). */
export interface Field {
  key: string;
  scope: string;
  kind: string;
  sensitivity: string;
  position: number;
  label?: Texts;
  help?: Texts;
  minLength?: bigint | number;
  maxLength?: bigint | number;
  pattern: string;
  min: string;
  max: string;
  minDate: string;
  maxDate: string;
  options: FieldOption[];
  showIf?: { field: string; anyOf: string[] };
  placement?: Placement;
  categories: { [code: string]: Placement };
  retired: boolean;
}

/** An answer as given: text suits every kind. */
export type Raw = { text: string } | { integer: bigint | number } | { boolean: boolean } | { choices: string[] } | { clear: true };

/** A stored answer's value. */
export type Value = string | number | boolean | string[];

export interface Violation {
  field: string;
  code: string;
}

const MAX_TEXT = 1000;
const MAX_LONG_TEXT = 5000;

/** How `field` is asked of `category`; undefined: not asked. */
export function placementOf(field: Field, category: string): Placement | undefined {
  if (field.retired) return undefined;
  const own = Object.keys(field.categories ?? {});
  if (own.length > 0) return field.categories[category];
  return field.placement ?? { required: false, badge: "never", gate: false, export: true };
}

const isControl = (c: string) => /[\u0000-\u001f\u007f-\u009f]/.test(c);

function compile(pattern: string): RegExp | undefined {
  if (!pattern) return undefined;
  try {
    return new RegExp(`^(?:${pattern})$`, "u");
  } catch {
    // A pattern JavaScript does not read is the server's to check.
    return undefined;
  }
}

export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!/^-?\d{1,15}(\.\d{1,6})?$/.test(t)) return undefined;
  return Number(t);
}

function inRange(field: Field, n: number): boolean {
  const lo = field.min ? parseDecimal(field.min) : undefined;
  const hi = field.max ? parseDecimal(field.max) : undefined;
  return !(lo !== undefined && n < lo) && !(hi !== undefined && n > hi);
}

function yesNo(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (["true", "yes", "y", "1", "да", "ha", "x", "✓"].includes(t)) return true;
  if (["false", "no", "n", "0", "нет", "yo'q", "yoʻq", "yo‘q", "yoq"].includes(t)) return false;
  return undefined;
}

function day(text: string): string | undefined {
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  let y: number, mo: number, d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else {
    m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
    if (!m) return undefined;
    [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** A phone number in E.164, or undefined. */
export function e164(text: string): string | undefined {
  let t = text.trim();
  if (t.startsWith("+")) t = t.slice(1);
  else if (t.startsWith("00")) t = t.slice(2);
  else return undefined;
  let digits = "";
  for (const c of t) {
    if (c >= "0" && c <= "9") digits += c;
    else if (!" -.()\u00a0".includes(c)) return undefined;
  }
  return digits.length >= 8 && digits.length <= 15 && !digits.startsWith("0") ? `+${digits}` : undefined;
}

function optionOf(field: Field, text: string, before: Value | undefined): string | Violation["code"] {
  const t = text.trim();
  const lower = t.toLowerCase();
  const found =
    field.options.find((o) => o.key === t) ??
    field.options.find((o) => o.key === lower) ??
    field.options.find((o) => [o.label?.en, o.label?.ru, o.label?.uz].some((l) => !!l && l.toLowerCase() === lower));
  if (!found) return "!UNKNOWN_OPTION";
  if (found.retired) {
    const kept = before === found.key || (Array.isArray(before) && before.includes(found.key));
    if (!kept) return "!UNKNOWN_OPTION";
  }
  return found.key;
}

const WRONG = "WRONG_TYPE";

/** One answer normalised, `null` for none, or the violation's code. */
export function normalize(field: Field, raw: Raw, before?: Value): { value: Value | null } | { code: string } {
  if ("clear" in raw) return { value: null };
  let text: string | undefined;
  if ("text" in raw) {
    text = raw.text.trim();
    if (text === "") return { value: null };
  }
  const kind = field.kind;
  const re = compile(field.pattern);
  const pattern = (s: string) => (re && !re.test(s) ? { code: "PATTERN" } : undefined);
  switch (kind) {
    case "text":
    case "long_text": {
      if (text === undefined) return { code: WRONG };
      const long = kind === "long_text";
      let t = text.normalize("NFC");
      if ([...t].some((c) => isControl(c) && !(long && "\n\t\r".includes(c)))) return { code: "CONTROL_CHARACTERS" };
      if (long) t = t.replace(/\r\n/g, "\n");
      const count = [...t].length;
      const max = field.maxLength !== undefined ? Number(field.maxLength) : long ? MAX_LONG_TEXT : MAX_TEXT;
      if (count > max) return { code: "TOO_LONG" };
      if (field.minLength !== undefined && count < Number(field.minLength)) return { code: "TOO_SHORT" };
      return pattern(t) ?? { value: t };
    }
    case "integer": {
      let n: bigint;
      if ("integer" in raw) n = BigInt(raw.integer);
      else if (text !== undefined) {
        const t = text.replace(/[\u00a0 ]/g, "");
        if (!/^[+-]?\d{1,19}$/.test(t)) return { code: WRONG };
        n = BigInt(t);
        if (n > 9223372036854775807n || n < -9223372036854775808n) return { code: WRONG };
      } else return { code: WRONG };
      if (!inRange(field, Number(n))) return { code: "OUT_OF_RANGE" };
      return { value: Number(n) };
    }
    case "decimal": {
      let t: string;
      if ("integer" in raw) t = String(raw.integer);
      else if (text !== undefined) t = text.replace(/[\u00a0 ]/g, "").replace(/,/g, ".");
      else return { code: WRONG };
      const n = parseDecimal(t);
      if (n === undefined) return { code: WRONG };
      if (!inRange(field, n)) return { code: "OUT_OF_RANGE" };
      return { value: t };
    }
    case "boolean": {
      if ("boolean" in raw) return { value: raw.boolean };
      const b = text !== undefined ? yesNo(text) : undefined;
      return b === undefined ? { code: WRONG } : { value: b };
    }
    case "date": {
      const d = text !== undefined ? day(text) : undefined;
      if (!d) return { code: WRONG };
      if ((field.minDate && d < field.minDate) || (field.maxDate && d > field.maxDate)) return { code: "OUT_OF_RANGE" };
      return { value: d };
    }
    case "single_choice": {
      if (text === undefined) return { code: WRONG };
      const key = optionOf(field, text, before);
      return key.startsWith("!") ? { code: key.slice(1) } : { value: key };
    }
    case "multiple_choice": {
      const items = "choices" in raw ? raw.choices : text !== undefined ? text.split(/[;,\n]/) : undefined;
      if (!items) return { code: WRONG };
      const keys: string[] = [];
      for (const item of items) {
        if (!item.trim()) continue;
        const key = optionOf(field, item, before);
        if (key.startsWith("!")) return { code: key.slice(1) };
        if (!keys.includes(key)) keys.push(key);
      }
      const order = (k: string) => field.options.findIndex((o) => o.key === k);
      keys.sort((a, b) => order(a) - order(b));
      return { value: keys.length ? keys : null };
    }
    case "country": {
      if (text === undefined) return { code: WRONG };
      const code = text.toUpperCase();
      return /^[A-Z]{2}$/.test(code) && countries.isValid(code) ? { value: code } : { code: WRONG };
    }
    case "phone": {
      const phone = text !== undefined ? e164(text) : undefined;
      if (!phone) return { code: WRONG };
      return pattern(phone) ?? { value: phone };
    }
    case "email": {
      if (text === undefined || text.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return { code: WRONG };
      return pattern(text) ?? { value: text };
    }
  }
  return { code: WRONG };
}

function shown(fields: Field[], key: string, answers: Record<string, Value>, depth = 0): boolean {
  const field = fields.find((f) => f.key === key);
  const rule = field?.showIf;
  if (!field || !rule || !rule.field) return true;
  if (depth > 100) return false;
  const v = answers[rule.field];
  const holds =
    typeof v === "string"
      ? rule.anyOf.includes(v)
      : typeof v === "boolean"
        ? rule.anyOf.includes(v ? "true" : "false")
        : Array.isArray(v)
          ? v.some((x) => rule.anyOf.includes(x))
          : false;
  return holds && shown(fields, rule.field, answers, depth + 1);
}

/** Whether `field` is shown on the form given the answers so far. */
export function isShown(fields: Field[], key: string, answers: Record<string, Value>): boolean {
  return shown(fields, key, answers);
}

/**
 * The answers after `given` is applied to `stored`, hidden ones dropped;
 * or every violation (`answers.<key>`), as the server would name them.
 */
export function checkAnswers(
  fields: Field[],
  scope: string,
  category: string,
  given: Record<string, Raw>,
  stored: Record<string, Value> = {},
  checkRequired = true,
): { answers: Record<string, Value> } | { violations: Violation[] } {
  const violations: Violation[] = [];
  const merged: Record<string, Value> = { ...stored };
  for (const [key, raw] of Object.entries(given)) {
    const path = `answers.${key}`;
    const field = fields.find((f) => f.key === key && f.scope === scope);
    if (!field) {
      violations.push({ field: path, code: "UNKNOWN_FIELD" });
      continue;
    }
    if (!placementOf(field, category)) {
      violations.push({ field: path, code: "NOT_ASKED" });
      continue;
    }
    const out = normalize(field, raw, stored[key]);
    if ("code" in out) violations.push({ field: path, code: out.code });
    else if (out.value === null) delete merged[key];
    else merged[key] = out.value;
  }
  if (violations.length) return { violations };
  for (const key of Object.keys(merged)) {
    if (fields.some((f) => f.key === key && f.scope === scope) && !shown(fields, key, merged)) delete merged[key];
  }
  if (checkRequired) {
    for (const f of fields) {
      if (f.scope !== scope) continue;
      if (placementOf(f, category)?.required && !(f.key in merged) && shown(fields, f.key, merged)) {
        violations.push({ field: `answers.${f.key}`, code: "REQUIRED" });
      }
    }
  }
  return violations.length ? { violations } : { answers: merged };
}
