/**
 * The product service as a library: given its configuration and a database URL
 * it migrates the database, connects to the user service (for token keys and
 * sellers' profiles) and serves gRPC.
 */

import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import type { Logger } from "@skyros/kit/logger";
import { openServiceDatabase, type ServedService, serveService } from "@skyros/kit/service-server";
import { createCachedUserDirectory } from "@skyros/kit/user-directory";
import type { ProductConfig } from "./config.ts";
import { createProductHandlers } from "./handlers.ts";
import { createProductStore } from "./store.ts";

export interface RunningProductService {
  readonly port: number;
  /** Where its metrics are served, when they are. */
  readonly metricsPort: number | undefined;
  close(): Promise<void>;
}

/** Starts the product service on config.host:config.port (0: any free port). */
export async function startProductService(
  config: ProductConfig,
  databaseUrl: string,
  logger: Logger,
): Promise<RunningProductService> {
  const sql = await openServiceDatabase(databaseUrl, config, logger, {
    name: "product",
    migrationsDir: new URL("../migrations", import.meta.url),
  });
  const users = createCachedUserDirectory(config, logger);
  const handlers = createProductHandlers({ store: createProductStore(sql), users, logger });
  let server: ServedService;
  try {
    server = await serveService(config, logger, ProductService, handlers, {
      url: databaseUrl,
      name: "product",
    });
  } catch (error) {
    await sql.end();
    throw error;
  }
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    async close() {
      await server.close();
      await sql.end({ timeout: 5 });
    },
  };
}
