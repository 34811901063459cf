// The journal's bookkeeping: what an upload sends and what leaves the journal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { entriesOf, randomNonce, settled, type JournalEntry } from "../src/gate/journal";
import { Decision, DenyReason, Direction } from "../src/gen/expopass/v1/gate_pb";

function entry(nonce: string, gateId: string): [IDBValidKey, JournalEntry] {
  return [
    nonce,
    { nonce, gateId, qrText: "EP1:x", direction: Direction.IN, decision: Decision.ALLOW, reason: DenyReason.UNSPECIFIED, scannedAtMs: 0 },
  ];
}

test("an upload sends this gate's scans only", () => {
  const all = [entry("a", "g1"), entry("b", "g2"), entry("c", "g1")];
  assert.deepEqual(
    entriesOf(all, "g1").map(([k]) => k),
    ["a", "c"],
  );
});

test("scans leave the journal only when the server holds every one", () => {
  const sent = [entry("a", "g1"), entry("b", "g1"), entry("c", "g1")];
  assert.deepEqual(settled(sent, { stored: 3, duplicates: 0 }), ["a", "b", "c"]);
  // Stored before (a repeated upload): held all the same.
  assert.deepEqual(settled(sent, { stored: 1, duplicates: 2 }), ["a", "b", "c"]);
  // Fewer held than sent: nothing leaves, the next upload sends them again.
  assert.deepEqual(settled(sent, { stored: 2, duplicates: 0 }), []);
  assert.deepEqual(settled([], { stored: 0, duplicates: 0 }), []);
});

test("nonces do not repeat", () => {
  const seen = new Set(Array.from({ length: 10_000 }, randomNonce));
  assert.equal(seen.size, 10_000);
  for (const n of seen) assert.match(n, /^[0-9a-f]{24}$/);
});
