// The gate's link to the server: the bundle (fetched at start, on every
// WatchGate push and every 30 s online, every 2 s offline), the journal's
// upload, and the device's reports for the operations board. Each outcome
// is dispatched to the store.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { get, set } from "idb-keyval";
import { Code, ConnectError } from "@connectrpc/connect";
import { failure } from "../api";
import { rulesOf } from "../decide";
import { explain } from "../i18n";
import type { Clients } from "../session";
import { entriesOf, journal, settled } from "./journal";
import type { Store } from "./store";

/** Whether a failed call means the server could not be reached (rather than a refusal). */
export function unreachable(err: unknown): boolean {
  const e = ConnectError.from(err);
  return [Code.Unavailable, Code.DeadlineExceeded, Code.Unknown, Code.Canceled, Code.Aborted].includes(e.code);
}

/** Whether a failed call says this device may not act for its gate any more. */
export function refusesDevice(err: unknown): boolean {
  return [Code.Unauthenticated, Code.PermissionDenied, Code.NotFound].includes(ConnectError.from(err).code);
}

export class Sync {
  private uploading = false;

  constructor(
    private readonly clients: Clients,
    private readonly store: Store,
    private readonly gateId: string,
  ) {}

  /** The bundle kept on this device, at once: a gate may open offline. */
  async restore() {
    const stored = await get<{ bytes: Uint8Array; version: string }>("bundle");
    if (stored && !this.store.state.rules) this.store.dispatch({ type: "bundle", rules: await rulesOf(stored.bytes) });
    await this.countPending();
  }

  async countPending(): Promise<number> {
    const n = entriesOf(await journal.all(), this.gateId).length;
    this.store.dispatch({ type: "pending", n });
    return n;
  }

  /** Fetches the gate's bundle; returns whether the server answered this device. */
  async refresh(): Promise<boolean> {
    try {
      const r = await this.clients.gates.getOfflineBundle({ gateId: this.gateId }, { timeoutMs: 3000 });
      const held = this.store.state.rules;
      if (!held || held.bundle.version !== r.version) {
        this.store.dispatch({ type: "bundle", rules: await rulesOf(r.bundle) });
        await set("bundle", { bytes: r.bundle, version: r.version.toString() });
      }
      this.store.dispatch({ type: "device-accepted" });
      this.store.dispatch({ type: "link", online: true });
      return true;
    } catch (err) {
      if (!unreachable(err) && refusesDevice(err)) {
        this.store.dispatch({ type: "device-refused", why: explain(failure(err)) });
      } else {
        this.store.dispatch({ type: "link", online: false });
      }
      return false;
    }
  }

  /** Tells the server how this device stands (the operations board shows it). */
  async report() {
    const pending = entriesOf(await journal.all(), this.gateId).length;
    await this.clients.gates
      .reportGateStatus({ gateId: this.gateId, bundleVersion: this.store.state.rules?.bundle.version ?? 0n, pendingOffline: pending }, { timeoutMs: 3000 })
      .catch(() => undefined);
  }

  /** Sends the journal; an entry leaves it only once the server stored it. */
  async upload() {
    if (this.uploading) return;
    this.uploading = true;
    try {
      const mine = entriesOf(await journal.all(), this.gateId);
      if (mine.length === 0) return;
      const r = await this.clients.buffered.gates.uploadOfflineScans(
        (async function* () {
          for (const [, e] of mine) {
            yield {
              scan: {
                gateId: e.gateId,
                nonce: e.nonce,
                qrText: e.qrText,
                direction: e.direction,
                decision: e.decision,
                reason: e.reason,
                scannedAt: timestampFromMs(e.scannedAtMs),
              },
            };
          }
        })(),
        { timeoutMs: 30_000 },
      );
      await journal.remove(settled(mine, r));
      this.store.dispatch({ type: "uploaded", stored: r.stored, duplicates: r.duplicates, conflicts: r.conflicts });
    } catch (err) {
      if (unreachable(err)) this.store.dispatch({ type: "link", online: false });
      // Refused (a revoked token, a gate removed): nothing leaves the
      // journal, and the steward is told.
      else this.store.dispatch({ type: "upload-refused", why: explain(failure(err)) });
    } finally {
      this.uploading = false;
      await this.countPending();
      if (this.store.state.online) await this.report();
    }
  }

  /**
   * Keeps the link: the bundle and an upload at once, then a probe every 2 s
   * offline and 30 s online, and the bundle fetched again on every WatchGate
   * push. Returns what stops it.
   */
  start(): () => void {
    let stop = false;
    const first = async () => {
      await this.restore();
      // An upload (even of nothing) ends with a report of the device's state.
      if (await this.refresh()) await this.upload();
    };
    first();
    let timer = 0;
    const probe = async () => {
      if (stop) return;
      if (await this.refresh()) await this.upload();
      timer = window.setTimeout(probe, this.store.state.online ? 30_000 : 2_000);
    };
    timer = window.setTimeout(probe, 2_000);
    const watch = new AbortController();
    (async () => {
      while (!stop) {
        try {
          for await (const _ of this.clients.gates.watchGate({ gateId: this.gateId }, { signal: watch.signal })) {
            await this.refresh();
          }
        } catch {
          // Gone or cut: try again shortly.
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    return () => {
      stop = true;
      window.clearTimeout(timer);
      watch.abort();
    };
  }
}
