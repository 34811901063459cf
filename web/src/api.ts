// The desk's way to the server: expopass.v1 over gRPC-Web (`session.ts`),
// with the token of the tab's session; and what every page makes of a
// failed call.
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImportParticipantsRequestSchema } from "./gen/expopass/v1/registration_pb";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";
import { connect, tabToken } from "./session";
import { currentLang } from "./i18n";

const token = tabToken("expopass.token");

/** The desk's tab: its token, and what it remembers (event, view, device name). */
export const session = {
  token: token.get,
  setToken: token.set,
  clear() {
    sessionStorage.clear();
  },
  get(key: string): string | null {
    return sessionStorage.getItem(`expopass.${key}`);
  },
  set(key: string, value: string) {
    sessionStorage.setItem(`expopass.${key}`, value);
  },
};

const clients = connect(token, currentLang);

export const api = clients;

/** What the desk shows of a failed call. */
export interface Failure {
  code: Code;
  /** The stable reason of the ErrorInfo, e.g. DUPLICATE_PARTICIPANT. */
  reason: string;
  message: string;
  metadata: Record<string, string>;
  /** Field path (e.g. "participant.email") to what is wrong with it. */
  fields: Record<string, string>;
}

export function failure(err: unknown): Failure {
  const e = ConnectError.from(err);
  const info = e.findDetails(ErrorInfoSchema)[0];
  const fields: Record<string, string> = {};
  for (const bad of e.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) {
      // In the operator's language when the server has the words for it.
      const text = v.localizedMessage?.message || v.description;
      fields[v.field] = fields[v.field] ? `${fields[v.field]}; ${text}` : text;
    }
  }
  return {
    code: e.code,
    reason: info?.reason ?? "",
    message: e.rawMessage,
    metadata: { ...(info?.metadata ?? {}) },
    fields,
  };
}

export { Code };

/** A fresh idempotency key for a creating call. */
export function requestId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** ImportParticipants with every row of a roster. */
export function importParticipants(rows: MessageInitShape<typeof ImportParticipantsRequestSchema>[]) {
  return clients.buffered.registration.importParticipants(
    (async function* () {
      yield* rows;
    })(),
  );
}
