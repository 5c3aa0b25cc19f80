/** Runs the user service: configuration from the environment, stop on SIGTERM. */
import { loadConfigOrExit } from "@skyros/kit/config";
import { createLogger } from "@skyros/kit/logger";
import { resolveDatabaseUrl, stopOnSignals } from "@skyros/kit/service-runtime";
import { readUserConfig } from "./config.ts";
import { startUserService } from "./user-service.ts";

const config = loadConfigOrExit(readUserConfig);
const logger = createLogger({ service: "user", level: config.logLevel });
const database = await resolveDatabaseUrl(config, "users", logger);
const service = await startUserService(config, database.url, logger);
stopOnSignals(logger, async () => {
  await service.close();
  await database.stop();
});
