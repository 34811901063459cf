// The gate's transitions, driven without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RepeatGuard, REPEAT_MS, Store, initial, reduce, type Verdict } from "../src/gate/store";
import { Direction, type ScanResponse } from "../src/gen/expopass/v1/gate_pb";

test("losing and finding the server", () => {
  let s = reduce(initial, { type: "link", online: false });
  assert.equal(s.online, false);
  s = reduce(s, { type: "link", online: true });
  assert.equal(s.online, true);
  assert.equal(reduce(s, { type: "link", online: true }), s, "no change, same state");
});

test("a refused device decides from its bundle until it is accepted again", () => {
  let s = reduce({ ...initial, online: false }, { type: "device-refused", why: "revoked" });
  assert.deepEqual(s.refused, { what: "device", why: "revoked" });
  assert.equal(s.online, true, "the server answers: it is not offline");
  s = reduce(s, { type: "device-accepted" });
  assert.equal(s.refused, null);
});

test("a refused upload is told, and a stored one clears it", () => {
  let s = reduce(initial, { type: "upload-refused", why: "gate removed" });
  assert.equal(s.refused?.what, "upload");
  assert.equal(reduce(s, { type: "device-accepted" }).refused?.what, "upload", "accepting the device keeps an upload's refusal");
  s = reduce(s, { type: "uploaded", stored: 3, duplicates: 1, conflicts: [] });
  assert.equal(s.refused, null);
  assert.deepEqual(s.uploaded, { stored: 3, duplicates: 1, conflicts: [] });
});

test("a verdict shows until dismissed; the direction is kept", () => {
  const store = new Store();
  const seen: (Verdict | null)[] = [];
  const stop = store.subscribe((s) => seen.push(s.verdict));
  store.dispatch({ type: "direction", direction: Direction.OUT });
  const v: Verdict = { kind: "allow", r: {} as ScanResponse, offline: false, direction: Direction.OUT };
  store.dispatch({ type: "verdict", verdict: v });
  store.dispatch({ type: "dismiss" });
  stop();
  store.dispatch({ type: "pending", n: 4 });
  assert.deepEqual(seen, [null, v, null]);
  assert.equal(store.state.direction, Direction.OUT);
  assert.equal(store.state.pending, 4);
});

test("a badge held in view is one scan; turning the gate round is a new one", () => {
  const g = new RepeatGuard();
  assert.equal(g.fresh("EP1:A", Direction.IN, 0), true);
  assert.equal(g.fresh("EP1:A", Direction.IN, REPEAT_MS - 1), false);
  assert.equal(g.fresh("EP1:A", Direction.OUT, REPEAT_MS - 1), true);
  assert.equal(g.fresh("EP1:B", Direction.OUT, REPEAT_MS), true);
  assert.equal(g.fresh("EP1:B", Direction.OUT, 3 * REPEAT_MS), true);
});
