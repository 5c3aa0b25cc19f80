/**
 * The common ends of a service's start: its migrated database, opened as its
 * configuration says, and its handlers served on its gRPC port, reported
 * SERVING once they are and while the database answers.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Sql } from "./database.ts";
import { openCheckConnection, watchDatabase } from "./database-health.ts";
import { type GrpcServer, startGrpcServer } from "./grpc-server.ts";
import { ServingStatus } from "./health.ts";
import type { Logger } from "./logger.ts";
import { type MetricsServer, startMetricsServer } from "./metrics-server.ts";
import type { ServiceBaseConfig } from "./service-config.ts";
import { createServiceMetrics } from "./service-metrics.ts";
import { openMigratedDatabase } from "./service-runtime.ts";

/** The service's database, migrated with the `.sql` files of `migrationsDir`. */
export function openServiceDatabase(
  databaseUrl: string,
  config: ServiceBaseConfig,
  logger: Logger,
  options: { readonly name: string; readonly migrationsDir: URL },
): Promise<Sql> {
  return openMigratedDatabase(databaseUrl, {
    migrationsDir: options.migrationsDir,
    maxConnections: config.databasePoolMax,
    applicationName: `skyros-${options.name}`,
    logger,
  });
}

/** A served service: its gRPC server, and the port of its metrics when they are served. */
export interface ServedService extends GrpcServer {
  readonly metricsPort: number | undefined;
}

/**
 * Serves `handlers` on the configured host and port, and its metrics on the
 * metrics port when one is configured. The server as a whole ("") is SERVING
 * while the process runs (liveness); the service itself is SERVING while its
 * database answers too (readiness), see database-health.ts.
 */
export async function serveService<T extends DescService>(
  config: ServiceBaseConfig,
  logger: Logger,
  service: T,
  handlers: ServiceImpl<T>,
  database: { readonly url: string; readonly name: string },
): Promise<ServedService> {
  const metrics = createServiceMetrics();
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    logger,
    serviceCredential: config.serviceCredential,
    routes: (router) => router.service(service, handlers),
    onCallFinished: metrics.observeCall,
  });
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.metricsPort !== undefined) {
      metricsServer = await startMetricsServer(metrics.registry, {
        host: config.host,
        port: config.metricsPort,
      });
    }
  } catch (error) {
    await server.close(0);
    throw error;
  }
  server.health.setAll(ServingStatus.SERVING);
  const watch = watchDatabase(() => openCheckConnection(database.url, `skyros-${database.name}-health`), {
    intervalMs: config.databaseCheckIntervalMs,
    timeoutMs: Math.max(1_000, config.databaseCheckIntervalMs),
    // Three slow answers in a row, not one or two, before a replica leaves rotation under load.
    failuresBeforeDown: 3,
    onChange(reachable, error) {
      server.health.set(service.typeName, reachable ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
      metrics.setDatabaseUp(reachable);
      if (reachable) logger.info("database answers again; serving");
      else logger.error({ err: error }, "database does not answer; reporting NOT_SERVING");
    },
  });
  // Not "service": every line already names the process in that field.
  logger.info(
    { port: server.port, metricsPort: metricsServer?.port, grpcService: service.typeName },
    "serving",
  );
  return {
    port: server.port,
    metricsPort: metricsServer?.port,
    health: server.health,
    async close(graceMs) {
      // The watch first: a database coming back during the drain must not report SERVING again.
      await watch.stop();
      await server.close(graceMs);
      await metricsServer?.close();
    },
  };
}
