/**
 * Clients for calling other skyros services over gRPC (HTTP/2, one reused
 * connection per target). Every call carries a deadline, the current request's
 * id, and the service credential.
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
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

/** A gRPC transport to another service. */
export function createServiceTransport(options: ServiceTransportOptions): Transport {
  return createGrpcTransport({
    baseUrl: options.baseUrl,
    defaultTimeoutMs: options.timeoutMs,
    // Keeps idle connections healthy between bursts, and notices a dead peer.
    pingIntervalMs: 30_000,
    interceptors: [outgoingHeaders(options.credential)],
  });
}

/** A typed client of `service` over a transport from createServiceTransport. */
export function createServiceClient<T extends DescService>(service: T, transport: Transport): Client<T> {
  return createClient(service, transport);
}
