/** Runs the product service: configuration from the environment, stop on SIGTERM. */
import { loadConfigOrExit } from "@skyros/kit/config";
import { createLogger } from "@skyros/kit/logger";
import { resolveDatabaseUrl, stopOnSignals } from "@skyros/kit/service-runtime";
import { readProductConfig } from "./config.ts";
import { startProductService } from "./product-service.ts";

const config = loadConfigOrExit(readProductConfig);
const logger = createLogger({ service: "product", level: config.logLevel });
const database = await resolveDatabaseUrl(config, "products", logger);
const service = await startProductService(config, database.url, logger);
stopOnSignals(logger, async () => {
  await service.close();
  await database.stop();
});
