// The desk's own checks of custom answers give the verdicts the server
// gives: the table the Rust integration test runs through
// RegisterParticipant, UpdateParticipant and an import row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkAnswers, type Field, type Raw } from "../src/fields";

interface Draft {
  key: string;
  scope?: string;
  kind: string;
  sensitivity?: string;
  label: { en: string; ru?: string; uz?: string };
  min_length?: number;
  max_length?: number;
  pattern?: string;
  min?: string;
  max?: string;
  min_date?: string;
  max_date?: string;
  options?: { key: string; label: { en: string }; retired?: boolean }[];
  show_if?: { field: string; any_of: string[] };
  required?: boolean;
  badge?: string;
  gate?: boolean;
  categories?: Record<string, { required?: boolean; badge?: string; gate?: boolean }>;
}

const table = JSON.parse(readFileSync("../tests/data/field_cases.json", "utf8")) as {
  fields: Draft[];
  cases: { name: string; category: string; answers: Record<string, Raw>; verdict: string; stored: Record<string, unknown> }[];
};

const placement = (p: { required?: boolean; badge?: string; gate?: boolean }) => ({
  required: p.required ?? false,
  badge: p.badge ?? "never",
  gate: p.gate ?? false,
  export: true,
});

const fields: Field[] = table.fields.map((d, i) => ({
  key: d.key,
  scope: d.scope ?? "participant",
  kind: d.kind,
  sensitivity: d.sensitivity ?? "internal",
  position: i,
  label: d.label,
  minLength: d.min_length,
  maxLength: d.max_length,
  pattern: d.pattern ?? "",
  min: d.min ?? "",
  max: d.max ?? "",
  minDate: d.min_date ?? "",
  maxDate: d.max_date ?? "",
  options: d.options ?? [],
  showIf: d.show_if ? { field: d.show_if.field, anyOf: d.show_if.any_of } : undefined,
  placement: placement(d),
  categories: Object.fromEntries(Object.entries(d.categories ?? {}).map(([c, p]) => [c, placement({ ...d, ...p })])),
  retired: false,
}));

test("the table has at least 60 cases", () => {
  assert.ok(table.cases.length >= 60);
});

for (const c of table.cases) {
  test(`field case: ${c.name}`, () => {
    const out = checkAnswers(fields, "participant", c.category, c.answers);
    if ("violations" in out) {
      const got = [...new Set(out.violations.map((v) => `${v.field}:${v.code}`))].sort().join(" ");
      assert.equal(got, c.verdict);
    } else {
      assert.equal("OK", c.verdict);
      assert.deepEqual(out.answers, c.stored);
    }
  });
}
