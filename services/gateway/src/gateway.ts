/**
 * The gateway as a library: from its configuration it builds the route table
 * of every service it fronts, one gRPC connection per service, the OpenAPI
 * document, and the HTTP server, all once at start-up.
 */

import type { AddressInfo } from "node:net";
import { createRegistry, type DescFile } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import type { AccessTokenVerifier } from "@skyros/kit/auth";
import { createServiceTransport } from "@skyros/kit/grpc-client";
import type { Logger } from "@skyros/kit/logger";
import { withTokenCache } from "@skyros/kit/token-cache";
import { createUserDirectory } from "@skyros/kit/user-directory";
import type { FastifyInstance } from "fastify";
import { createAuthLimits } from "./auth-limits.ts";
import type { GatewayConfig } from "./config.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import { CONTRACT_DESCRIPTORS } from "./proto-comments.ts";
import { openRateLimitStore } from "./rate-limit-store.ts";
import { createReadinessCheck } from "./readiness.ts";
import { buildRoutes } from "./route-table.ts";
import { buildServer } from "./server.ts";

export interface GatewayOptions {
  /** Verifies access tokens; by default with the user service's published keys. */
  readonly verifier?: AccessTokenVerifier;
  /** Descriptor sets whose comments describe the API; by default the contracts'. */
  readonly descriptorSets?: readonly string[];
}

export interface RunningGateway {
  readonly port: number;
  readonly url: string;
  /** Stops accepting requests, finishes those in flight, closes the connections. */
  close(): Promise<void>;
}

const TITLE = "skyros API";

/** Starts the gateway on config.host:config.port (0: any free port). */
export async function startGateway(
  config: GatewayConfig,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const routes = buildRoutes(config.upstreams);
  const transports = new Map(
    config.upstreams.map((upstream) => [
      upstream.name,
      createServiceTransport({ baseUrl: upstream.url, timeoutMs: config.callTimeoutMs, logger }),
    ]),
  );
  const transportOf = (name: string): Transport => {
    const transport = transports.get(name);
    if (transport === undefined) throw new Error(`no upstream named ${name}`);
    return transport;
  };
  // A client sends one token on many requests: its signature is checked once.
  // Access tokens cannot be revoked before they expire, so trusting a verified
  // one until its expiry grants nothing a fresh check would refuse.
  const verifier = withTokenCache(
    options.verifier ??
      // The keys come over the gateway's own connection to the user service.
      createUserDirectory({
        userService: transportOf("user"),
        jwtIssuer: config.jwtIssuer,
        jwtAudience: config.jwtAudience,
      }).verifier,
    { maxEntries: 10_000, maxAgeMs: 15 * 60_000 },
  );
  const files = new Set<DescFile>(
    config.upstreams.flatMap((upstream) => upstream.services.map((service) => service.file)),
  );
  const openApi = buildOpenApi(routes, {
    title: TITLE,
    version: "v1",
    description: "The public REST/JSON API of skyros, generated from its Protobuf contracts.",
    descriptorSets: options.descriptorSets ?? [CONTRACT_DESCRIPTORS],
  });
  // Opened last before the server is built, so that nothing can fail in between.
  const limits = openRateLimitStore(config, logger);
  const closeConnections = async () => {
    await limits.close();
    for (const transport of transports.values()) transport.close();
  };
  let app: FastifyInstance | undefined;
  try {
    app = await buildServer({
      config,
      logger,
      routes,
      transportOf,
      verifier,
      authLimits: createAuthLimits(config, limits.store),
      limitStore: limits.store,
      registry: createRegistry(...files),
      metrics: createGatewayMetrics(),
      checkReadiness: createReadinessCheck(
        config.upstreams
          .filter((upstream) => config.requiredUpstreams.includes(upstream.name))
          .flatMap((upstream) =>
            upstream.services.map((service) => ({
              name: upstream.name,
              serviceName: service.typeName,
              transport: transportOf(upstream.name),
            })),
          ),
      ),
      openApiJson: JSON.stringify(openApi),
      title: TITLE,
    });
    await limits.connected;
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // A port in use, say: a caller that goes on must not keep our connections open.
    await app?.close();
    await closeConnections();
    throw error;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ port, routes: routes.length, rateLimitStore: limits.kind }, "gateway serving");
  return {
    port,
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    async close() {
      await app.close();
      await closeConnections();
    },
  };
}
