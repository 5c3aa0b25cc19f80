/**
 * The order service as a library: given its configuration and a database URL
 * it migrates the database, connects to the user and product services, serves
 * gRPC and runs the recovery loop.
 */
import { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { createDatabase } from "@skyros/kit/database";
import { createServiceClient, createServiceTransport } from "@skyros/kit/grpc-client";
import type { Logger } from "@skyros/kit/logger";
import { openServiceDatabase, type ServedService, serveService } from "@skyros/kit/service-server";
import { createCachedUserDirectory } from "@skyros/kit/user-directory";
import type { OrderConfig } from "./config.ts";
import type { OrderContext } from "./context.ts";
import { createOrderHandlers } from "./handlers.ts";
import { startRecovery } from "./recovery.ts";
import { createStockService } from "./stock.ts";
import { createOrderStore } from "./store.ts";

export interface RunningOrderService {
  readonly port: number;
  /** Where its metrics are served, when they are. */
  readonly metricsPort: number | undefined;
  close(): Promise<void>;
}

/** Starts the order service on config.host:config.port (0: any free port). */
export async function startOrderService(
  config: OrderConfig,
  databaseUrl: string,
  logger: Logger,
): Promise<RunningOrderService> {
  const sql = await openServiceDatabase(databaseUrl, config, logger, {
    name: "order",
    migrationsDir: new URL("../migrations", import.meta.url),
  });
  // Commits that the recovery loop can redo need not wait for the disk (see the store).
  const relaxed = createDatabase(databaseUrl, {
    maxConnections: Math.max(2, Math.ceil(config.databasePoolMax / 2)),
    applicationName: "skyros-order",
    settings: { synchronous_commit: "off" },
  });
  const productTransport = createServiceTransport({
    baseUrl: config.productServiceUrl,
    timeoutMs: config.callTimeoutMs,
    credential: config.serviceCredential,
    logger,
  });
  const products = createServiceClient(ProductService, productTransport);
  const ctx: OrderContext = {
    store: createOrderStore(sql, { stepTimeoutMs: config.stockStepTimeoutMs, relaxed }),
    stock: createStockService(products, logger),
    users: createCachedUserDirectory(config, logger),
    logger,
    idempotencyKeyTtlSeconds: config.idempotencyKeyTtlSeconds,
  };
  let server: ServedService;
  try {
    server = await serveService(config, logger, OrderService, createOrderHandlers(ctx), {
      url: databaseUrl,
      name: "order",
    });
  } catch (error) {
    productTransport.close();
    await Promise.all([sql.end(), relaxed.end()]);
    throw error;
  }
  const recovery = startRecovery(ctx, {
    intervalMs: config.recoveryIntervalMs,
    reservationGiveUpMs: config.reservationGiveUpMs,
  });
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    async close() {
      await server.close();
      await recovery.stop();
      productTransport.close();
      await Promise.all([sql.end({ timeout: 5 }), relaxed.end({ timeout: 5 })]);
    },
  };
}
