// The offline decision of docs/qr-format.md §5, in the browser: the same
// checks in the same order as the server's `domain::offline::decide`, from
// an offline bundle (`expopass.v1.OfflineBundle`). Presence-free: ZONE_FULL
// and ALREADY_INSIDE are the online server's alone. The Rust and browser
// deciders are checked against the same vectors (tests/it/desk/vectors.rs).
import { fromBinary } from "@bufbuild/protobuf";
import { OfflineBundleSchema, type OfflineBundle } from "./gen/expopass/v1/bundle_pb";

export const REASONS = [
  "MALFORMED",
  "UNKNOWN_KEY",
  "BAD_SIGNATURE",
  "WRONG_EVENT",
  "REVOKED",
  "BLOCKED",
  "NOT_VALID_TODAY",
  "ZONE_NOT_ALLOWED",
] as const;
export type Reason = (typeof REASONS)[number];

/** The 30-byte signed body of a badge token (§2). */
export interface Claims {
  keyId: number;
  eventTag: number;
  serial: number;
  version: number;
  category: number;
  /** Allowed zones, bit n-1 for zone n. */
  zones: bigint;
  /** Days since 1970-01-01 of bit 0 of `days`. */
  firstDay: number;
  days: number;
}

export interface OfflineVerdict {
  deny: Reason | null;
  claims: Claims | null;
}

/** A bundle made ready to decide with: keys imported, lists searchable. */
export interface Rules {
  bundle: OfflineBundle;
  keys: Map<number, CryptoKey>;
}

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const TOKEN_LENGTH = 145;

/**
 * Strict Base45 (RFC 9285): a character outside the alphabet or a triple
 * above 65535 is refused, as §1 requires (the npm packages for Base45
 * decode such input into wrong bytes instead of refusing it).
 */
function base45(text: string): Uint8Array | null {
  const out: number[] = [];
  const value = (c: string) => ALPHABET.indexOf(c);
  for (let i = 0; i < text.length; i += 3) {
    const chunk = text.slice(i, i + 3);
    const v = [...chunk].map(value);
    if (v.some((x) => x < 0)) return null;
    if (chunk.length === 3) {
      const n = v[0] + v[1] * 45 + v[2] * 2025;
      if (n > 0xffff) return null;
      out.push(n >> 8, n & 0xff);
    } else if (chunk.length === 2) {
      const n = v[0] + v[1] * 45;
      if (n > 0xff) return null;
      out.push(n);
    } else {
      return null;
    }
  }
  return Uint8Array.from(out);
}

/** The claims of a token text, or null when it is malformed (§1, §2). */
export function parse(text: string): { claims: Claims; body: Uint8Array; signature: Uint8Array } | null {
  // Whitespace as Rust's `str::trim` sees it (White_Space; not U+FEFF).
  const trimmed = text.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, "");
  if (!trimmed.startsWith("EP1:") || trimmed.length !== TOKEN_LENGTH) return null;
  const bytes = base45(trimmed.slice(4));
  if (!bytes || bytes.length !== 94) return null;
  const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (d.getUint8(0) !== 1) return null;
  const claims: Claims = {
    keyId: d.getUint32(1),
    eventTag: d.getUint32(5),
    serial: d.getUint32(9),
    version: d.getUint16(13),
    category: d.getUint8(15),
    zones: d.getBigUint64(16),
    firstDay: d.getUint16(24),
    days: d.getUint32(26),
  };
  if (claims.serial === 0 || claims.version === 0 || claims.category === 0) return null;
  return { claims, body: bytes.slice(0, 30), signature: bytes.slice(30) };
}

/** Reads a bundle's bytes and imports its keys. */
export async function rulesOf(bytes: Uint8Array): Promise<Rules> {
  const bundle = fromBinary(OfflineBundleSchema, bytes);
  if (bundle.format !== 1) throw new Error(`bundle format ${bundle.format} is not supported`);
  const keys = new Map<number, CryptoKey>();
  for (const k of bundle.keys) {
    if (k.publicKey.length !== 32) continue;
    keys.set(k.keyId >>> 0, await crypto.subtle.importKey("raw", k.publicKey as BufferSource, { name: "Ed25519" }, false, ["verify"]));
  }
  return { bundle, keys };
}

/** Whether `needle` (big-endian bytes) is among the sorted `size`-byte records of `list`. */
function contains(list: Uint8Array, size: number, needle: Uint8Array): boolean {
  let lo = 0;
  let hi = Math.floor(list.length / size);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    let cmp = 0;
    for (let i = 0; i < size && cmp === 0; i++) cmp = list[mid * size + i] - needle[i];
    if (cmp === 0) return true;
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** Days since 1970-01-01 of the date at `at` in `timeZone`. */
export function dayIn(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.round(Date.UTC(get("year"), get("month") - 1, get("day")) / 86_400_000);
}

/** §5: the first failed check, or null (ALLOW). `zone` is the gate's zone number. */
export async function decide(rules: Rules, text: string, zone: number | null, at: Date): Promise<OfflineVerdict> {
  const token = parse(text);
  if (!token) return { deny: "MALFORMED", claims: null };
  const { claims } = token;
  const deny = (reason: Reason): OfflineVerdict => ({ deny: reason, claims });
  const key = rules.keys.get(claims.keyId);
  if (!key) return deny("UNKNOWN_KEY");
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, token.signature as BufferSource, token.body as BufferSource);
  if (!ok) return deny("BAD_SIGNATURE");
  if (claims.eventTag !== rules.bundle.eventTag >>> 0) return deny("WRONG_EVENT");
  const sv = new Uint8Array(6);
  new DataView(sv.buffer).setUint32(0, claims.serial);
  new DataView(sv.buffer).setUint16(4, claims.version);
  if (contains(rules.bundle.revoked, 6, sv)) return deny("REVOKED");
  if (contains(rules.bundle.blocked, 4, sv.subarray(0, 4))) return deny("BLOCKED");
  const offset = dayIn(at, rules.bundle.timeZone) - claims.firstDay;
  if (offset < 0 || offset > 31 || ((claims.days >>> offset) & 1) === 0) return deny("NOT_VALID_TODAY");
  if (zone !== null && (zone < 1 || zone > 64 || ((claims.zones >> BigInt(zone - 1)) & 1n) === 0n)) {
    return deny("ZONE_NOT_ALLOWED");
  }
  return { deny: null, claims };
}

/** Deny reasons that refuse an exit too: a badge that is not one (§5). */
export const REFUSES_EXIT: ReadonlySet<Reason> = new Set<Reason>(["MALFORMED", "UNKNOWN_KEY", "BAD_SIGNATURE", "WRONG_EVENT"]);

/**
 * §5 for one direction: an exit is refused only for the badge itself (it
 * cannot be read or trusted), never for days, zones, revocations or blocks.
 */
export async function decideWay(rules: Rules, text: string, zone: number | null, at: Date, way: "in" | "out"): Promise<OfflineVerdict> {
  const v = await decide(rules, text, zone, at);
  if (way === "out" && v.deny && !REFUSES_EXIT.has(v.deny)) return { deny: null, claims: v.claims };
  return v;
}

/** The days a badge is valid on, as YYYY-MM-DD, from its claims (§2). */
export function validDays(claims: Claims): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (((claims.days >>> bit) & 1) === 1) out.push(new Date((claims.firstDay + bit) * 86_400_000).toISOString().slice(0, 10));
  }
  return out;
}
