/**
 * Clients for calling other skyros services over gRPC (HTTP/2, one reused
 * connection per target). Every call carries a deadline, the current request's
 * id, and the service credential.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { currentRequestId, REQUEST_ID_HEADER } from "./request-context.ts";
import { SERVICE_CREDENTIAL_HEADER } from "./service-credential.ts";

export interface ServiceTransportOptions {
  /** e.g. http://127.0.0.1:4011 */
  readonly baseUrl: string;
  /** Deadline of every call that does not set its own. */
  readonly timeoutMs: number;
  /** The service credential, sent on every call. */
  readonly credential?: string;
}

function outgoingHeaders(credential: string | undefined): Interceptor {
  return (next) => (request) => {
    const requestId = currentRequestId();
    if (requestId !== undefined) request.header.set(REQUEST_ID_HEADER, requestId);
    if (credential !== undefined) request.header.set(SERVICE_CREDENTIAL_HEADER, credential);
    return next(request);
  };
}

// Keeps idle connections healthy between bursts, and notices a dead peer.
const PING_INTERVAL_MS = 30_000;

/** A gRPC transport to another service. */
export function createServiceTransport(options: ServiceTransportOptions): Transport {
  return createGrpcTransport({
    baseUrl: options.baseUrl,
    defaultTimeoutMs: options.timeoutMs,
    pingIntervalMs: PING_INTERVAL_MS,
    interceptors: [outgoingHeaders(options.credential)],
  });
}

/** A transport whose HTTP/2 connection its owner can close (at shutdown). */
export interface ServiceConnection {
  readonly transport: Transport;
  /** Closes the connection; calls still in flight fail. */
  close(): void;
}

/** Like createServiceTransport, with a handle to close the connection. */
export function createServiceConnection(options: ServiceTransportOptions): ServiceConnection {
  const sessionManager = new Http2SessionManager(options.baseUrl, { pingIntervalMs: PING_INTERVAL_MS });
  const transport = createGrpcTransport({
    baseUrl: options.baseUrl,
    defaultTimeoutMs: options.timeoutMs,
    sessionManager,
    interceptors: [outgoingHeaders(options.credential)],
  });
  return { transport, close: () => sessionManager.abort() };
}

/** A typed client of `service` over a transport from createServiceTransport. */
export function createServiceClient<T extends DescService>(service: T, transport: Transport): Client<T> {
  return createClient(service, transport);
}
