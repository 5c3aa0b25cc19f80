/**
 * The product service as a library: given its configuration and a database URL
 * it migrates the database, connects to the user service (for token keys and
 * sellers' profiles) and serves gRPC.
 */

import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { startGrpcServer } from "@skyros/kit/grpc-server";
import { ServingStatus } from "@skyros/kit/health";
import type { Logger } from "@skyros/kit/logger";
import { openMigratedDatabase } from "@skyros/kit/service-runtime";
import { createCachedUserDirectory } from "@skyros/kit/user-directory";
import type { ProductConfig } from "./config.ts";
import { createProductHandlers } from "./handlers.ts";
import { createProductStore } from "./store.ts";

export interface RunningProductService {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the product service on config.host:config.port (0: any free port). */
export async function startProductService(
  config: ProductConfig,
  databaseUrl: string,
  logger: Logger,
): Promise<RunningProductService> {
  const sql = await openMigratedDatabase(databaseUrl, {
    migrationsDir: new URL("../migrations", import.meta.url).pathname,
    maxConnections: config.databasePoolMax,
    applicationName: "skyros-product",
    logger,
  });
  const users = createCachedUserDirectory(config);
  const handlers = createProductHandlers({ store: createProductStore(sql), users, logger });
  let server: Awaited<ReturnType<typeof startGrpcServer>>;
  try {
    server = await startGrpcServer({
      host: config.host,
      port: config.port,
      logger,
      serviceCredential: config.serviceCredential,
      serviceNames: [ProductService.typeName],
      routes: (router) => router.service(ProductService, handlers),
    });
  } catch (error) {
    await sql.end();
    throw error;
  }
  server.health.setAll(ServingStatus.SERVING);
  logger.info({ port: server.port }, "product service serving");
  return {
    port: server.port,
    async close() {
      await server.close();
      await sql.end({ timeout: 5 });
    },
  };
}
