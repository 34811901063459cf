// The journal of scans decided offline: kept in IndexedDB before their
// verdict shows, and left only once the server has stored them.
import { createStore, delMany, entries, set, type UseStore } from "idb-keyval";
import type { Decision, DenyReason, Direction } from "../gen/expopass/v1/gate_pb";

/** A scan decided offline, kept until the server has stored it. */
export interface JournalEntry {
  nonce: string;
  gateId: string;
  qrText: string;
  direction: Direction;
  decision: Decision;
  reason: DenyReason;
  scannedAtMs: number;
}

/** What the server answered to an upload. */
export interface UploadReply {
  stored: number;
  duplicates: number;
}

/** The entries of one gate, in the order they are kept. */
export function entriesOf(all: [IDBValidKey, JournalEntry][], gateId: string): [IDBValidKey, JournalEntry][] {
  return all.filter(([, e]) => e.gateId === gateId);
}

/**
 * The keys an upload settles: every one sent when the server holds them all
 * (stored now or before), none otherwise: a scan never leaves the journal
 * unless the server answered that it holds it.
 */
export function settled(sent: [IDBValidKey, JournalEntry][], reply: UploadReply): IDBValidKey[] {
  return reply.stored + reply.duplicates === sent.length ? sent.map(([k]) => k) : [];
}

/** A fresh nonce for a scan: the server stores each (gate, nonce) once. */
export function randomNonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The journal in IndexedDB, a store of its own, keyed by nonce. */
let store: UseStore | null = null;
/** Opened on first use (the pure functions above are used without a browser). */
const db = () => (store ??= createStore("expopass-gate-journal", "scans"));

export const journal = {
  async add(entry: JournalEntry) {
    await set(entry.nonce, entry, db());
  },
  async all(): Promise<[IDBValidKey, JournalEntry][]> {
    return entries<IDBValidKey, JournalEntry>(db());
  },
  async remove(keys: IDBValidKey[]) {
    if (keys.length > 0) await delMany(keys, db());
  },
};
