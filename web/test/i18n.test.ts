// Every text exists in English, Russian and Uzbek (the compiler checks the
// keys), is not empty, and fills in the same {names}; plurals follow each
// language's rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LANGS, dictionaries, textIn, type Key, type Text } from "../src/i18n";

const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const forms = (t: Text) => (typeof t === "string" ? [t] : Object.values(t).filter((x): x is string => typeof x === "string"));

test("every key has a text in every language, with the same placeholders", () => {
  const d = dictionaries();
  const keys = Object.keys(d.en);
  assert.ok(keys.length > 200);
  for (const lang of LANGS) {
    assert.deepEqual(Object.keys(d[lang]).sort(), [...keys].sort(), lang);
    for (const key of keys) {
      const text = d[lang][key];
      for (const form of forms(text)) {
        assert.ok(form.trim().length > 0, `${lang} ${key} is empty`);
        assert.deepEqual(names(form), names(forms(d.en[key])[0]), `${lang} ${key}: placeholders`);
      }
    }
  }
});

test("Russian counts take their three forms", () => {
  assert.equal(textIn("ru", "members" as Key, { n: 1 }), "1 участник");
  assert.equal(textIn("ru", "members" as Key, { n: 3 }), "3 участника");
  assert.equal(textIn("ru", "members" as Key, { n: 5 }), "5 участников");
  assert.equal(textIn("ru", "members" as Key, { n: 21 }), "21 участник");
  assert.equal(textIn("en", "members" as Key, { n: 1 }), "1 member");
  assert.equal(textIn("en", "members" as Key, { n: 2 }), "2 members");
});
