// A hand scanner is a keyboard that types a code fast and ends it with
// Enter or Tab. On the scanning screen every printable key is taken by the
// reader, whatever control has focus, so a burst never reaches a control
// (a letter typed into the language picker would switch the language).
// Controls keep their keys otherwise: Enter and Tab that end no burst, a
// space that starts none, arrows and Escape.

/** Most mean time between the keys of a scanner burst. */
export const WEDGE_KEY_MS = 60;
/** A pause longer than this starts a new burst. */
export const WEDGE_PAUSE_MS = 500;
/** Fewest characters a scanned code has. */
export const WEDGE_MIN = 8;

export type KeyOutcome =
  /** The key is the page's or a control's. */
  | { kind: "pass" }
  /** The key is part of a burst: nobody else sees it. */
  | { kind: "swallow" }
  /** The key ended a burst: the code, and nobody else sees the key. */
  | { kind: "code"; text: string };

export class WedgeReader {
  private buffer = "";
  private first = 0;
  private prev = 0;

  /** Takes one keydown (`KeyboardEvent.key`) at time `at` (ms). */
  key(key: string, at: number): KeyOutcome {
    if (key === "Enter" || key === "Tab") {
      const text = this.buffer;
      const fast = text.length >= WEDGE_MIN && at - this.prev < WEDGE_PAUSE_MS && (at - this.first) / text.length < WEDGE_KEY_MS;
      this.buffer = "";
      return fast ? { kind: "code", text } : { kind: "pass" };
    }
    if (key.length !== 1) return { kind: "pass" };
    if (at - this.prev > WEDGE_PAUSE_MS) {
      this.buffer = "";
      this.first = at;
    }
    // A space alone presses the focused button; inside a burst it is part
    // of the code (Base45 has a space).
    if (key === " " && this.buffer === "") return { kind: "pass" };
    if (this.buffer === "") this.first = at;
    this.prev = at;
    this.buffer += key;
    return { kind: "swallow" };
  }
}

/**
 * Reads bursts from the whole page while installed: a capture-phase
 * listener on the window runs before any control sees the key.
 */
export function listenForBursts(onCode: (text: string, at: number) => void): () => void {
  const reader = new WedgeReader();
  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return;
    const now = performance.now();
    const out = reader.key(e.key, now);
    if (out.kind === "pass") return;
    e.preventDefault();
    e.stopPropagation();
    // Timed from the end of the code, as a camera read is.
    if (out.kind === "code") onCode(out.text, now);
  };
  window.addEventListener("keydown", onKey, { capture: true });
  return () => window.removeEventListener("keydown", onKey, { capture: true });
}
