/**
 * The gRPC server every service runs: gRPC over HTTP/2 (Connect's Node
 * adapter), grpc.health.v1, a request context with the caller's request id,
 * deadlines from `grpc-timeout`, unexpected errors masked as Internal (and
 * logged), the service credential required on internal RPCs, and a graceful close that lets in-flight calls finish.
 */
import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { toPublicError } from "./errors.ts";
import { createHealthStatus, type HealthStatus, registerHealthService, ServingStatus } from "./health.ts";
import type { Logger } from "./logger.ts";
import { REQUEST_ID_HEADER, requestIdFrom, runInRequestContext } from "./request-context.ts";
import { serviceCredentialInterceptor } from "./service-credential.ts";

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly logger: Logger;
  /** Fully-qualified names of the services `routes` registers, for health. */
  readonly serviceNames: readonly string[];
  readonly routes: (router: ConnectRouter) => void;
  /** The credential that internal (unannotated) RPCs require. */
  readonly serviceCredential: string;
  /** The longest deadline a caller may ask for; longer ones are cut to it. */
  readonly maxTimeoutMs?: number;
}

export interface GrpcServer {
  readonly port: number;
  readonly health: HealthStatus;
  /** Stops accepting calls, lets in-flight ones finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

function contextInterceptor(): Interceptor {
  return (next) => (request) =>
    runInRequestContext({ requestId: requestIdFrom(request.header.get(REQUEST_ID_HEADER)) }, () =>
      next(request),
    );
}

function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const procedure = `${request.service.typeName}/${request.method.name}`;
    try {
      const response = await next(request);
      logger.debug({ procedure, ms: Math.round(performance.now() - started) }, "rpc ok");
      return response;
    } catch (error) {
      const publicError = toPublicError(error, (cause) =>
        logger.error({ err: cause, procedure }, "unexpected error"),
      );
      logger.info(
        { procedure, code: publicError.code, ms: Math.round(performance.now() - started) },
        `rpc failed: ${publicError.rawMessage}`,
      );
      throw publicError;
    }
  };
}

/** Starts a gRPC server; its health is NOT_SERVING until the caller sets it. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const health = createHealthStatus(options.serviceNames);
  const handler = connectNodeAdapter({
    routes: (router) => {
      registerHealthService(router, health);
      options.routes(router);
    },
    interceptors: [
      contextInterceptor(),
      errorInterceptor(options.logger),
      serviceCredentialInterceptor(options.serviceCredential),
    ],
    grpc: true,
    grpcWeb: false,
    connect: false,
    maxTimeoutMs: options.maxTimeoutMs ?? 60_000,
  });
  const server = http2.createServer({}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.listen(options.port, options.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    health,
    async close(graceMs = 10_000) {
      health.setAll(ServingStatus.NOT_SERVING);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // GOAWAY: clients stop sending new calls on these sessions; open streams finish.
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
