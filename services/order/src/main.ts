/** Runs the order service: configuration from the environment, stop on SIGTERM. */
import { loadConfigOrExit } from "@skyros/kit/config";
import { createLogger } from "@skyros/kit/logger";
import { resolveDatabaseUrl, stopOnSignals } from "@skyros/kit/service-runtime";
import { readOrderConfig } from "./config.ts";
import { startOrderService } from "./order-service.ts";

const config = loadConfigOrExit(readOrderConfig);
const logger = createLogger({ service: "order", level: config.logLevel });
const database = await resolveDatabaseUrl(config, "orders", logger);
const service = await startOrderService(config, database.url, logger);
stopOnSignals(logger, async () => {
  await service.close();
  await database.stop();
});
