// The hand scanner's bursts are read whatever has focus, and nothing of a
// burst reaches a control.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WedgeReader, type KeyOutcome } from "../src/gate/wedge";

function type(r: WedgeReader, text: string, start: number, gap: number): KeyOutcome[] {
  return [...text].map((c, i) => r.key(c, start + i * gap));
}

const CODE = "EP1:6BFOXN*TS0BI$ZDFRH";

test("a fast burst ending in Enter or Tab is a code, and no key of it passes", () => {
  for (const end of ["Enter", "Tab"]) {
    const r = new WedgeReader();
    const keys = type(r, CODE, 1000, 5);
    assert.ok(keys.every((k) => k.kind === "swallow"));
    assert.deepEqual(r.key(end, 1000 + CODE.length * 5), { kind: "code", text: CODE });
  }
});

test("spaces inside a burst belong to the code; a space alone presses a button", () => {
  const r = new WedgeReader();
  assert.deepEqual(r.key(" ", 0), { kind: "pass" });
  const text = "EP1:AB CD EF GH";
  type(r, text, 1000, 4);
  assert.deepEqual(r.key("Enter", 1000 + text.length * 4), { kind: "code", text });
});

test("slow typing is no code: Enter and Tab stay the page's", () => {
  const r = new WedgeReader();
  type(r, "EP1:ABCDEFGH", 0, 200);
  assert.deepEqual(r.key("Enter", 2600), { kind: "pass" });
  assert.deepEqual(r.key("Tab", 2700), { kind: "pass" });
});

test("too short is no code; a pause starts a new burst", () => {
  const r = new WedgeReader();
  type(r, "ABC", 0, 5);
  assert.deepEqual(r.key("Enter", 20), { kind: "pass" });
  type(r, "stale", 100, 5);
  type(r, CODE, 2000, 5);
  assert.deepEqual(r.key("Enter", 2000 + CODE.length * 5), { kind: "code", text: CODE });
});

test("keys that are not characters pass (arrows, Escape)", () => {
  const r = new WedgeReader();
  for (const k of ["ArrowDown", "ArrowUp", "Escape", "Shift"]) assert.deepEqual(r.key(k, 0), { kind: "pass" });
});
