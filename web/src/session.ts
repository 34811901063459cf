// One session per page: where its token lives, and the gRPC-Web clients
// that send it. Every page (desk, gate, board) makes its clients here, so
// the bearer header, the transports and the client-streaming workaround
// exist once.
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { readAllBytes, universalClientResponseFromFetch, type UniversalClientFn } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-grpc-web";
import { AuditService } from "./gen/expopass/v1/audit_pb";
import { AuthService } from "./gen/expopass/v1/auth_pb";
import { BadgeService } from "./gen/expopass/v1/badge_pb";
import { EventService } from "./gen/expopass/v1/event_pb";
import { GateService } from "./gen/expopass/v1/gate_pb";
import { RegistrationService } from "./gen/expopass/v1/registration_pb";
import { TokenService } from "./gen/expopass/v1/token_pb";

/** Where a page keeps its token. */
export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

/** A token in this tab's session storage: never in a URL, gone with the tab. */
export function tabToken(key: string): TokenStore {
  return {
    get: () => sessionStorage.getItem(key),
    set: (token) => sessionStorage.setItem(key, token),
    clear: () => sessionStorage.removeItem(key),
  };
}

/** A token held in memory (the gate keeps its own in IndexedDB and loads it here). */
export function memoryToken(): TokenStore {
  let token: string | null = null;
  return {
    get: () => token,
    set: (t) => {
      token = t;
    },
    clear: () => {
      token = null;
    },
  };
}

/**
 * Sends `authorization: Bearer <token>` with every call, when there is a
 * token, and `accept-language` with the page's language, so that the
 * server's field violations come in the operator's words too.
 */
function headersOf(store: TokenStore, lang: () => string): Interceptor {
  return (next) => async (req) => {
    const t = store.get();
    if (t) req.header.set("authorization", `Bearer ${t}`);
    req.header.set("accept-language", lang());
    return next(req);
  };
}

// Browsers cannot stream a request body over gRPC-Web, so a client stream
// (an import, an upload of offline scans) goes in one request body: the
// same gRPC-Web framing, every message at once.
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

/** The clients of one page, all sending its token. */
export interface Clients {
  auth: Client<typeof AuthService>;
  badges: Client<typeof BadgeService>;
  events: Client<typeof EventService>;
  registration: Client<typeof RegistrationService>;
  gates: Client<typeof GateService>;
  tokens: Client<typeof TokenService>;
  audit: Client<typeof AuditService>;
  /** The same services with client streams sent whole (imports, offline uploads). */
  buffered: {
    registration: Client<typeof RegistrationService>;
    gates: Client<typeof GateService>;
  };
}

/** gRPC-Web to the server that served the page, with the token in `store`, in the language `lang` gives. */
export function connect(store: TokenStore, lang: () => string): Clients {
  const bearer = headersOf(store, lang);
  const transport = createGrpcWebTransport({ baseUrl: location.origin, interceptors: [bearer] });
  const whole = createTransport({
    httpClient: buffered,
    baseUrl: location.origin,
    useBinaryFormat: true,
    interceptors: [bearer],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    readMaxBytes: 64 * 1024 * 1024,
    writeMaxBytes: 64 * 1024 * 1024,
  });
  return {
    auth: createClient(AuthService, transport),
    badges: createClient(BadgeService, transport),
    events: createClient(EventService, transport),
    registration: createClient(RegistrationService, transport),
    gates: createClient(GateService, transport),
    tokens: createClient(TokenService, transport),
    audit: createClient(AuditService, transport),
    buffered: {
      registration: createClient(RegistrationService, whole),
      gates: createClient(GateService, whole),
    },
  };
}
