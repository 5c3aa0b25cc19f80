/**
 * The gateway's HTTP server (Fastify). Plugins and hooks in the order they act
 * on a request: request id and security headers, CORS, the general rate
 * limit, then the operations endpoints, the docs and the transcoded routes;
 * one error handler renders every failure as a google.rpc.Status.
 */

import { Code, ConnectError } from "@connectrpc/connect";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import type { Logger } from "@skyros/kit/logger";
import { REQUEST_ID_HEADER, requestIdFrom } from "@skyros/kit/request-context";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { registerBodyParsers } from "./body-parsers.ts";
import { answerClientError } from "./client-errors.ts";
import type { GatewayConfig } from "./config.ts";
import type { CounterStore } from "./counter-store.ts";
import { registerDocs } from "./docs.ts";
import {
  GatewayError,
  internalErrorBody,
  noRoute,
  renderConnectError,
  renderGatewayError,
} from "./error-body.ts";
import { httpStatusFromCode } from "./http-status.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { fastifyLimitStore } from "./rate-limit-store.ts";
import type { Readiness } from "./readiness.ts";
import { pathOf } from "./router.ts";
import { SECURITY_HEADERS } from "./security-headers.ts";
import { createTranscoder, type TranscodeDeps } from "./transcode-handler.ts";

export interface ServerDeps extends Omit<TranscodeDeps, "ownGetPaths"> {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** Where the general limit counts (the sign-in limits count there too). */
  readonly limitStore: CounterStore;
  readonly checkReadiness: () => Promise<Readiness>;
  /** The OpenAPI document, serialized once. */
  readonly openApiJson: string;
  readonly title: string;
}

/** Probes and scrapers must not be limited out of seeing the gateway. */
const UNLIMITED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

function sendError(reply: FastifyReply, status: number, body: object, headers: Record<string, string> = {}) {
  // RFC 6750: a 401 names the scheme the client should authenticate with.
  if (status === 401) reply.header("www-authenticate", "Bearer");
  reply.code(status).headers(headers).type("application/json; charset=utf-8").send(JSON.stringify(body));
}

/** Builds the Fastify instance (not yet listening). */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, logger } = deps;
  /** The metrics and the log line of an answered request. */
  const recordRequest = (request: FastifyRequest, reply: FastifyReply, route: string) => {
    deps.metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  };
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: typeof config.trustProxy === "boolean" ? config.trustProxy : [...config.trustProxy],
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers[REQUEST_ID_HEADER] as string | undefined),
    return503OnClosing: true,
    // Node's defaults let a request take forever to arrive (Fastify turns its
    // request timeout off): a slow-loris client could hold connections, and
    // their half-read bodies, without end. Expired requests are found by a
    // periodic check, so it runs often enough for the limit to hold.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.requestTimeoutMs / 4))),
    },
    forceCloseConnections: "idle",
    // Errors Fastify answers before any hook runs: given the headers and the
    // Status body of every other response.
    frameworkErrors: (error, request, reply) => {
      reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
      const message =
        error.code === "FST_ERR_BAD_URL"
          ? "the URL is not valid: check its percent-encoding"
          : "the URL could not be read";
      sendError(reply, 400, { code: Code.InvalidArgument, message, details: [] });
      // No hook runs for these requests: they are counted and logged here.
      recordRequest(request, reply, "unmatched");
    },
    clientErrorHandler: answerClientError,
  });
  app.decorateRequest("transcoded", null);
  app.decorateRequest("routeTemplate", "");
  // The paths the gateway serves itself with GET, as they are registered: other
  // methods there are a 405 rather than a 404.
  const ownGetPaths = new Set<string>();
  app.addHook("onRoute", (route) => {
    if (route.url !== "/*" && [route.method].flat().includes("GET")) ownGetPaths.add(route.url);
  });

  app.addHook("onRequest", (request, reply, done) => {
    reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    // The transcoded route's template, else the gateway's own route; never the raw URL.
    const own = request.routeOptions.url;
    const route = request.routeTemplate || (own !== undefined && own !== "/*" ? own : "unmatched");
    recordRequest(request, reply, route);
    done();
  });

  const transcoder = createTranscoder({ ...deps, ownGetPaths });
  const routeMethods = [...new Set(["GET", ...deps.routes.map((route) => route.httpMethod)])];
  await app.register(cors, {
    // Without allowed origins a preflight is still answered, allowing none.
    origin: [...config.corsOrigins],
    strictPreflight: false,
    methods: routeMethods,
    allowedHeaders: ["authorization", "content-type", "idempotency-key", REQUEST_ID_HEADER],
    exposedHeaders: [REQUEST_ID_HEADER, "retry-after"],
    maxAge: 600,
  });
  if (config.generalPerAddressLimit.max > 0) {
    await app.register(rateLimit, {
      max: config.generalPerAddressLimit.max,
      timeWindow: config.generalPerAddressLimit.windowMs,
      store: fastifyLimitStore(deps.limitStore, "general"),
      allowList: (request) => UNLIMITED_PATHS.has(pathOf(request.url)),
      errorResponseBuilder: (_request, context) =>
        new GatewayError(
          Code.ResourceExhausted,
          `too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`,
        ),
    });
  }

  registerBodyParsers(app);

  app.setErrorHandler((error: FastifyError | GatewayError | ConnectError, request, reply) => {
    if (error instanceof GatewayError) {
      const { status, body } = renderGatewayError(error);
      sendError(reply, status, body, { ...error.headers });
    } else if (error instanceof ConnectError) {
      const { status, body, headers } = renderConnectError(error);
      if (status >= 500)
        logger.warn({ requestId: request.id, code: Code[error.code], err: error }, "service call failed");
      sendError(reply, status, body, headers);
    } else if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      sendError(reply, 413, {
        code: Code.InvalidArgument,
        message: `request body larger than ${config.bodyLimitBytes} bytes`,
        details: [],
      });
    } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own request errors (unsupported media type, bad content length): safe messages.
      sendError(reply, error.statusCode, { code: Code.InvalidArgument, message: error.message, details: [] });
    } else {
      logger.error({ requestId: request.id, err: error }, "unexpected error");
      sendError(reply, httpStatusFromCode(Code.Internal), internalErrorBody);
    }
  });
  app.setNotFoundHandler(async (request) => {
    throw noRoute(request.method, pathOf(request.url));
  });

  app.get("/healthz", (_request, reply) => {
    reply.send({ status: "ok" });
  });
  app.get("/readyz", async (_request, reply) => {
    const readiness = await deps.checkReadiness();
    reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
  app.get("/metrics", async (_request, reply) => {
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get("/openapi.json", (_request, reply) => {
    reply.type("application/json; charset=utf-8").send(deps.openApiJson);
  });
  registerDocs(app, deps.title);

  app.route({
    method: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    url: "/*",
    preParsing: transcoder.findRoute,
    handler: transcoder.handle,
  });
  return app;
}
