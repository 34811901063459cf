// The desk's only way to the server: expopass.v1 over gRPC-Web, with the
// token of the tab's session.
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "./gen/expopass/v1/auth_pb";
import { BadgeService } from "./gen/expopass/v1/badge_pb";
import { EventService } from "./gen/expopass/v1/event_pb";
import { RegistrationService } from "./gen/expopass/v1/registration_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { readAllBytes, universalClientResponseFromFetch, type UniversalClientFn } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-grpc-web";
import type { ImportParticipantsRequestSchema } from "./gen/expopass/v1/registration_pb";
import { BadRequestSchema, ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";

const TOKEN_KEY = "expopass.token";

/** The token lives in this tab's session storage: never in a URL, gone with the tab. */
export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  setToken(token: string) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
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

/** Sends `authorization: Bearer <token>` with every call, when there is a token. */
export function bearerOf(token: () => string | null): Interceptor {
  return (next) => async (req) => {
    const t = token();
    if (t) req.header.set("authorization", `Bearer ${t}`);
    return next(req);
  };
}

/** gRPC-Web to the server that served the page. */
export function webTransport(interceptor: Interceptor) {
  return createGrpcWebTransport({ baseUrl: location.origin, interceptors: [interceptor] });
}

const bearer = bearerOf(() => session.token());
const transport = webTransport(bearer);

export const api: {
  auth: Client<typeof AuthService>;
  badges: Client<typeof BadgeService>;
  events: Client<typeof EventService>;
  registration: Client<typeof RegistrationService>;
} = {
  auth: createClient(AuthService, transport),
  badges: createClient(BadgeService, transport),
  events: createClient(EventService, transport),
  registration: createClient(RegistrationService, transport),
};

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
      fields[v.field] = fields[v.field] ? `${fields[v.field]}; ${v.description}` : v.description;
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

// Browsers cannot stream a request body over gRPC-Web, so the one
// client-streaming call of the desk (an import) sends its whole stream in
// one request body: the same gRPC-Web framing, every message at once.
const buffered: UniversalClientFn = async (req) => {
  const body = req.body ? await readAllBytes(req.body, Number.MAX_SAFE_INTEGER) : undefined;
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.header,
    signal: req.signal,
    body: body as BodyInit | undefined,
  });
  return universalClientResponseFromFetch(res);
};

/** A gRPC-Web transport whose client streams go in one request body. */
export function bufferedTransport(interceptor: Interceptor) {
  return createTransport({
    httpClient: buffered,
    baseUrl: location.origin,
    useBinaryFormat: true,
    interceptors: [interceptor],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    readMaxBytes: 64 * 1024 * 1024,
    writeMaxBytes: 64 * 1024 * 1024,
  });
}

const bulk = createClient(RegistrationService, bufferedTransport(bearer));

/** ImportParticipants with every row of a roster. */
export function importParticipants(rows: MessageInitShape<typeof ImportParticipantsRequestSchema>[]) {
  return bulk.importParticipants(
    (async function* () {
      yield* rows;
    })(),
  );
}
