// The offline decision (docs/qr-format.md §5) on badges made here with a
// key of the test's own: each check in its order, and the exit rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { decide, decideWay, parse, rulesOf, validDays, type Rules } from "../src/decide";
import { OfflineBundleSchema } from "../src/gen/expopass/v1/bundle_pb";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

function base45(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      for (let k = 0; k < 3; k++) {
        out += ALPHABET[n % 45];
        n = Math.floor(n / 45);
      }
    } else {
      const n = bytes[i];
      out += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
    }
  }
  return out;
}

const DAY = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
const TAG = 0x1234abcd;

interface Badge {
  keyId?: number;
  tag?: number;
  serial?: number;
  version?: number;
  category?: number;
  zones?: bigint;
  firstDay?: string;
  days?: number;
}

async function keyPair() {
  return (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function token(key: CryptoKeyPair, b: Badge = {}): Promise<string> {
  const body = new Uint8Array(30);
  const d = new DataView(body.buffer);
  d.setUint8(0, 1);
  d.setUint32(1, b.keyId ?? 7);
  d.setUint32(5, b.tag ?? TAG);
  d.setUint32(9, b.serial ?? 1042);
  d.setUint16(13, b.version ?? 1);
  d.setUint8(15, b.category ?? 1);
  d.setBigUint64(16, b.zones ?? 0b011n);
  d.setUint16(24, DAY(b.firstDay ?? "2026-04-14"));
  d.setUint32(26, b.days ?? 0b111);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, body));
  const all = new Uint8Array(94);
  all.set(body);
  all.set(sig, 30);
  return `EP1:${base45(all)}`;
}

async function rules(key: CryptoKeyPair, revoked: [number, number][] = [], blocked: number[] = []): Promise<Rules> {
  const pub = new Uint8Array(await crypto.subtle.exportKey("raw", key.publicKey));
  const rev = new Uint8Array(revoked.length * 6);
  revoked.forEach(([s, v], i) => {
    new DataView(rev.buffer).setUint32(i * 6, s);
    new DataView(rev.buffer).setUint16(i * 6 + 4, v);
  });
  const blk = new Uint8Array(blocked.length * 4);
  blocked.forEach((s, i) => new DataView(blk.buffer).setUint32(i * 4, s));
  const bundle = create(OfflineBundleSchema, {
    format: 1,
    eventTag: TAG,
    timeZone: "Asia/Tashkent",
    keys: [{ keyId: 7, publicKey: pub, active: true }],
    revoked: rev,
    blocked: blk,
  });
  return rulesOf(toBinary(OfflineBundleSchema, bundle));
}

const DURING = new Date("2026-04-15T06:00:00Z");

test("a good badge is allowed, and its claims read back", async () => {
  const key = await keyPair();
  const qr = await token(key, { serial: 77, version: 2 });
  const v = await decide(await rules(key), qr, 1, DURING);
  assert.equal(v.deny, null);
  assert.equal(v.claims?.serial, 77);
  assert.equal(v.claims?.version, 2);
  assert.equal(parse(` ${qr}\n`)?.claims.serial, 77, "surrounding whitespace is trimmed");
});

test("each check refuses in the order of §5", async () => {
  const key = await keyPair();
  const other = await keyPair();
  const r = await rules(key, [[1042, 1]], [2000]);
  const good = await token(key);
  const forged = good.slice(0, -3) + (good.endsWith("000") ? "111" : "000");
  const cases: [string, string | null][] = [
    ["hello", "MALFORMED"],
    [good.slice(0, -1), "MALFORMED"],
    [await token(key, { keyId: 8 }), "UNKNOWN_KEY"],
    [await token(other), "BAD_SIGNATURE"],
    [forged, "BAD_SIGNATURE"],
    [await token(key, { tag: TAG + 1, serial: 5 }), "WRONG_EVENT"],
    [good, "REVOKED"],
    [await token(key, { serial: 2000 }), "BLOCKED"],
    [await token(key, { serial: 3000, days: 0b100 }), "NOT_VALID_TODAY"],
    [await token(key, { serial: 3001, zones: 0b100n }), "ZONE_NOT_ALLOWED"],
    [await token(key, { serial: 3002 }), null],
  ];
  for (const [qr, expect] of cases) {
    const v = await decide(r, qr, 1, DURING);
    assert.equal(v.deny, expect, qr);
  }
});

test("the day is the event's: late evening UTC is the next day in Tashkent", async () => {
  const key = await keyPair();
  const r = await rules(key);
  // Valid on the first day only (14 April).
  const qr = await token(key, { days: 0b1 });
  assert.equal((await decide(r, qr, null, new Date("2026-04-13T19:30:00Z"))).deny, null);
  assert.equal((await decide(r, qr, null, new Date("2026-04-14T19:30:00Z"))).deny, "NOT_VALID_TODAY");
});

test("an exit is refused only for a badge that is not one", async () => {
  const key = await keyPair();
  const other = await keyPair();
  const r = await rules(key, [[1042, 1]], [2000]);
  const outAllowed = [
    await token(key), // revoked
    await token(key, { serial: 2000 }), // blocked
    await token(key, { serial: 3000, days: 0b100 }), // not valid today
    await token(key, { serial: 3001, zones: 0b100n }), // zone not allowed
  ];
  for (const qr of outAllowed) {
    assert.notEqual((await decideWay(r, qr, 1, DURING, "in")).deny, null);
    assert.equal((await decideWay(r, qr, 1, DURING, "out")).deny, null);
  }
  const outRefused: [string, string][] = [
    ["hello", "MALFORMED"],
    [await token(key, { keyId: 9 }), "UNKNOWN_KEY"],
    [await token(other), "BAD_SIGNATURE"],
    [await token(key, { tag: 1 }), "WRONG_EVENT"],
  ];
  for (const [qr, reason] of outRefused) {
    assert.equal((await decideWay(r, qr, 1, DURING, "out")).deny, reason);
  }
});

test("a badge's days read back from its code", async () => {
  const key = await keyPair();
  const qr = await token(key, { firstDay: "2026-04-14", days: 0b101 });
  assert.deepEqual(validDays(parse(qr)!.claims), ["2026-04-14", "2026-04-16"]);
});
