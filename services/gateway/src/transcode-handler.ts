/**
 * The request path of every transcoded route: find the route (before the body
 * is read), check the token, build the request message, apply the sign-in
 * limits, call the service with a deadline and the forwarded metadata, and
 * answer with the response's JSON.
 */
import type { DescMessage, Registry } from "@bufbuild/protobuf";
import { Code, type Transport } from "@connectrpc/connect";
import type { AccessTokenVerifier } from "@skyros/kit/auth";
import { runInRequestContext } from "@skyros/kit/request-context";
import type { FastifyReply, FastifyRequest } from "fastify";
import { createAuthorizationCheck } from "./auth-check.ts";
import type { AuthLimits } from "./auth-limits.ts";
import { GatewayError, noRoute } from "./error-body.ts";
import type { QueryValues } from "./query-params.ts";
import type { Route } from "./route-table.ts";
import { createRouter, pathOf } from "./router.ts";
import { createResponseEncoder, decodeRequest } from "./transcode.ts";

export interface TranscodeDeps {
  readonly routes: readonly Route[];
  /** The transport of an upstream, by name (its calls carry the upstream's default deadline). */
  readonly transportOf: (upstream: string) => Transport;
  readonly verifier: AccessTokenVerifier;
  readonly authLimits: AuthLimits;
  readonly registry: Registry;
  /** Paths the gateway serves itself with GET (so other methods there are a 405). */
  readonly ownGetPaths: ReadonlySet<string>;
}

/** Headers passed on to the service as gRPC metadata (x-request-id is added by the kit's transport). */
const FORWARDED_HEADERS = ["authorization", "idempotency-key"] as const;

const headerOf = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** What the route of a request resolved to (set by `findRoute`). */
export type FoundRoute = { readonly route: Route; readonly bindings: ReadonlyMap<string, string> };

declare module "fastify" {
  interface FastifyRequest {
    /** The path template of the transcoded route that serves the request ("" if none). */
    routeTemplate: string;
    transcoded: FoundRoute | null;
  }
}

/**
 * The two steps of every path the route table may serve: `findRoute` (a
 * preParsing hook: after the onRequest hooks, the rate limit among them, and
 * before any body is read) settles the route, so an unknown path is a 404 and
 * a wrong method a 405 whatever the body; `handle` calls the service.
 */
export function createTranscoder(deps: TranscodeDeps) {
  const router = createRouter(deps.routes);
  const checkAuthorization = createAuthorizationCheck(deps.verifier);
  const encodeResponse = createResponseEncoder(deps.routes, deps.registry);
  const transports = new Map(deps.routes.map((route) => [route, deps.transportOf(route.upstream)]));
  const noStore = new Set(deps.routes.filter((route) => carriesCredentials(route.method.output)));

  const call = async (
    route: Route,
    request: FastifyRequest,
    reply: FastifyReply,
    bindings: ReadonlyMap<string, string>,
  ) => {
    await checkAuthorization(route.auth, headerOf(request, "authorization"));
    const input = decodeRequest(route, bindings, request.query as QueryValues, request.body);
    const limited = deps.authLimits.appliesTo(route);
    if (limited) await deps.authLimits.admit(route, input, request.ip);
    const metadata: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = headerOf(request, name);
      if (value !== undefined) metadata[name] = value;
    }
    const transport = transports.get(route) as Transport;
    let response: Awaited<ReturnType<Transport["unary"]>>;
    try {
      response = await transport.unary(route.method, undefined, undefined, metadata, input);
    } catch (error) {
      if (limited) await deps.authLimits.record(route, input, error);
      throw error;
    }
    if (limited) await deps.authLimits.record(route, input, undefined);
    // Tokens must not linger in caches between the client and us (RFC 6749, 5.1).
    if (noStore.has(route)) reply.header("cache-control", "no-store").header("pragma", "no-cache");
    reply.type("application/json; charset=utf-8").send(encodeResponse(route, response.message));
  };

  return {
    async findRoute<Payload>(
      request: FastifyRequest,
      reply: FastifyReply,
      payload: Payload,
    ): Promise<Payload> {
      try {
        settleRoute(request);
      } catch (error) {
        // The body was never read: closing the connection spares reading it all
        // only to throw it away (the body limit applies to bodies we read).
        if (hasBody(request)) reply.header("connection", "close");
        throw error;
      }
      return payload;
    },

    async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const found = request.transcoded as FoundRoute;
      await runInRequestContext({ requestId: request.id }, () =>
        call(found.route, request, reply, found.bindings),
      );
    },
  };

  function settleRoute(request: FastifyRequest): void {
    const path = pathOf(request.url);
    const match = router.match(request.method, path);
    if (match.kind === "found") {
      request.routeTemplate = match.route.template.source;
      request.transcoded = match;
      const encoding = headerOf(request, "content-encoding");
      if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
        throw new GatewayError(
          Code.InvalidArgument,
          `content-encoding ${encoding.slice(0, 40)} is not supported; send the body uncompressed`,
          { httpStatus: 415 },
        );
      }
      return;
    }
    const allowed = match.kind === "wrong-method" ? match.allowed : deps.ownGetPaths.has(path) ? ["GET"] : [];
    if (allowed.length > 0) {
      throw new GatewayError(Code.Unimplemented, `method ${request.method} is not allowed here`, {
        httpStatus: 405,
        headers: { allow: allowed.join(", ") },
      });
    }
    throw noRoute(request.method, path);
  }
}

const hasBody = (request: FastifyRequest) =>
  request.headers["transfer-encoding"] !== undefined ||
  (request.headers["content-length"] !== undefined && request.headers["content-length"] !== "0");

/** Whether a message holds an access or refresh token, itself or in a field of it. */
function carriesCredentials(message: DescMessage, depth = 2): boolean {
  return message.fields.some(
    (field) =>
      field.name === "access_token" ||
      field.name === "refresh_token" ||
      (depth > 0 && field.fieldKind === "message" && carriesCredentials(field.message, depth - 1)),
  );
}
