/**
 * The common ends of a service's start: its migrated database, opened as its
 * configuration says, and its handlers served on its gRPC port, reported
 * SERVING once they are.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Sql } from "./database.ts";
import { type GrpcServer, startGrpcServer } from "./grpc-server.ts";
import { ServingStatus } from "./health.ts";
import type { Logger } from "./logger.ts";
import type { ServiceBaseConfig } from "./service-config.ts";
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

/** Serves `handlers` on the configured host and port, and reports the server SERVING. */
export async function serveService<T extends DescService>(
  config: ServiceBaseConfig,
  logger: Logger,
  service: T,
  handlers: ServiceImpl<T>,
): Promise<GrpcServer> {
  const server = await startGrpcServer({
    host: config.host,
    port: config.port,
    logger,
    serviceCredential: config.serviceCredential,
    routes: (router) => router.service(service, handlers),
  });
  server.health.setAll(ServingStatus.SERVING);
  // Not "service": every line already names the process in that field.
  logger.info({ port: server.port, grpcService: service.typeName }, "serving");
  return server;
}
