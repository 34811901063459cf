// The gate's state in one place: what it shows (the verdict, the direction,
// its link to the server, the journal's size) and the pure transitions
// between them. Its I/O (camera, keyboard, IndexedDB, network) lives in
// the other modules and only dispatches actions here, so node's test
// runner can drive the transitions without a browser.
import { Direction, type ScanConflict, type ScanResponse } from "../gen/expopass/v1/gate_pb";
import type { Rules } from "../decide";

/** What the gate shows of one scan. */
export type Verdict =
  | { kind: "allow"; r: ScanResponse; offline: boolean; direction: Direction }
  | {
      kind: "deny";
      r: ScanResponse;
      offline: boolean;
      direction: Direction;
      /** The days the badge is valid on (YYYY-MM-DD), read from its code. */
      validDays?: string[];
    }
  | { kind: "noanswer" };

export interface GateState {
  /** Whether the server answers. */
  online: boolean;
  /** The newest bundle this device holds, ready to decide with. */
  rules: Rules | null;
  /** Offline scans not yet stored by the server. */
  pending: number;
  /** What the last upload stored. */
  uploaded: { stored: number; duplicates: number; conflicts: ScanConflict[] } | null;
  /**
   * Why the server refused this device (its scans are then decided from the
   * bundle) or its last upload (the scans stay in the journal).
   */
  refused: { what: "device" | "upload"; why: string } | null;
  direction: Direction;
  verdict: Verdict | null;
}

export type Action =
  | { type: "bundle"; rules: Rules }
  | { type: "link"; online: boolean }
  | { type: "device-refused"; why: string }
  | { type: "device-accepted" }
  | { type: "upload-refused"; why: string }
  | { type: "uploaded"; stored: number; duplicates: number; conflicts: ScanConflict[] }
  | { type: "pending"; n: number }
  | { type: "direction"; direction: Direction }
  | { type: "verdict"; verdict: Verdict }
  | { type: "dismiss" };

export const initial: GateState = {
  online: true,
  rules: null,
  pending: 0,
  uploaded: null,
  refused: null,
  direction: Direction.IN,
  verdict: null,
};

export function reduce(s: GateState, a: Action): GateState {
  switch (a.type) {
    case "bundle":
      return { ...s, rules: a.rules };
    case "link":
      return s.online === a.online ? s : { ...s, online: a.online };
    case "device-refused":
      // The server answers, but not this device: scans go on from the bundle.
      return { ...s, online: true, refused: { what: "device", why: a.why } };
    case "device-accepted":
      return s.refused?.what === "device" ? { ...s, refused: null } : s;
    case "upload-refused":
      return { ...s, refused: { what: "upload", why: a.why } };
    case "uploaded":
      return { ...s, refused: null, uploaded: { stored: a.stored, duplicates: a.duplicates, conflicts: a.conflicts } };
    case "pending":
      return { ...s, pending: a.n };
    case "direction":
      return { ...s, direction: a.direction };
    case "verdict":
      return { ...s, verdict: a.verdict };
    case "dismiss":
      return { ...s, verdict: null };
  }
}

/** The version of the bundle held, as the footer and the board show it. */
export function bundleVersion(s: GateState): string | null {
  return s.rules ? s.rules.bundle.version.toString() : null;
}

/** A store of the state: `dispatch` applies an action and tells the listeners. */
export class Store {
  state: GateState = initial;
  private listeners = new Set<(s: GateState) => void>();

  dispatch(a: Action) {
    const next = reduce(this.state, a);
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  subscribe(l: (s: GateState) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** The same code read again within this is the same scan. */
export const REPEAT_MS = 2000;

/**
 * One badge held in front of the camera is one scan: the same code the same
 * way within `REPEAT_MS` is a repeat; turning the gate round makes it a new
 * scan.
 */
export class RepeatGuard {
  private last: { key: string; at: number } | null = null;

  /** Whether this read is a new scan (and remembers it). */
  fresh(text: string, direction: Direction, at: number): boolean {
    const key = `${direction}:${text}`;
    if (this.last && this.last.key === key && at - this.last.at < REPEAT_MS) return false;
    this.last = { key, at };
    return true;
  }
}
