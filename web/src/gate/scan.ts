// One scan: online with a deadline, else decided from the bundle and
// journalled before its verdict shows.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { failure } from "../api";
import { decideWay, parse, validDays } from "../decide";
import { Decision, DenyReason, Direction, type ScanResponse } from "../gen/expopass/v1/gate_pb";
import { explain } from "../i18n";
import type { Clients } from "../session";
import { journal, randomNonce, type JournalEntry } from "./journal";
import type { Store, Verdict } from "./store";
import { refusesDevice, unreachable } from "./sync";

/** What a scan needs of the page. */
export interface ScanContext {
  clients: Clients;
  store: Store;
  gateId: string;
  /** The gate's zone, to find its number in the bundle. */
  zoneCode: string;
  /** How long the server has to answer before the bundle decides. */
  deadlineMs: number;
  /** Called once an offline scan is in the journal. */
  journalled(): void;
}

/** The bundle's decision, journalled before it is shown. */
export async function decideOffline(c: ScanContext, text: string, direction: Direction): Promise<Verdict> {
  const rules = c.store.state.rules;
  if (!rules) return { kind: "noanswer" };
  const zone = rules.bundle.zones.find((z) => z.code === c.zoneCode)?.number ?? null;
  const v = await decideWay(rules, text, zone, new Date(), direction === Direction.OUT ? "out" : "in");
  const entry: JournalEntry = {
    nonce: randomNonce(),
    gateId: c.gateId,
    qrText: text,
    direction,
    decision: v.deny ? Decision.DENY : Decision.ALLOW,
    reason: v.deny ? DenyReason[v.deny] : DenyReason.UNSPECIFIED,
    scannedAtMs: Date.now(),
  };
  await journal.add(entry);
  c.journalled();
  const category = v.claims ? rules.bundle.categories.find((cat) => cat.number === v.claims?.category) : undefined;
  const r = {
    decision: entry.decision,
    reason: entry.reason,
    categoryCode: category?.code ?? "",
    categoryColor: category?.color ?? "",
    badgeNumber: v.claims ? `${String(v.claims.serial).padStart(7, "0")}-${v.claims.version}` : "",
    holderName: "",
    holderPhoto: new Uint8Array(),
    notes: [],
  } as unknown as ScanResponse;
  return { kind: v.deny ? "deny" : "allow", r, offline: true, direction };
}

/** Decides one scan: the server's answer, or the bundle's when it has none; a badge refused for the day says its days. */
export async function decideScan(c: ScanContext, text: string, direction: Direction): Promise<Verdict> {
  const v = await decideOnce(c, text, direction);
  if (v.kind === "deny" && v.r.reason === DenyReason.NOT_VALID_TODAY) {
    const token = parse(text);
    if (token) return { ...v, validDays: validDays(token.claims) };
  }
  return v;
}

async function decideOnce(c: ScanContext, text: string, direction: Direction): Promise<Verdict> {
  // Offline: no waiting for the network.
  if (!c.store.state.online) return decideOffline(c, text, direction);
  try {
    const r = await c.clients.gates.scan(
      { gateId: c.gateId, qrText: text, direction, nonce: randomNonce(), scannedAt: timestampFromMs(Date.now()) },
      { timeoutMs: c.deadlineMs },
    );
    return { kind: r.decision === Decision.ALLOW ? "allow" : "deny", r, offline: false, direction };
  } catch (err) {
    // Gone, overloaded, or refusing this device (a revoked token, a gate
    // removed): the bundle decides, and the scan is journalled.
    if (unreachable(err)) c.store.dispatch({ type: "link", online: false });
    else if (refusesDevice(err)) c.store.dispatch({ type: "device-refused", why: explain(failure(err)) });
    return decideOffline(c, text, direction);
  }
}
