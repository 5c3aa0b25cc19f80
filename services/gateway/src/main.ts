/** Runs the gateway: configuration from the environment, stop on SIGTERM. */
import { loadConfigOrExit } from "@skyros/kit/config";
import { createLogger } from "@skyros/kit/logger";
import { logFatalErrors, stopOnSignals, warnOfIgnoredVariables } from "@skyros/kit/service-runtime";
import { readGatewayConfig } from "./config.ts";
import { startGateway } from "./gateway.ts";

const config = loadConfigOrExit(readGatewayConfig);
const logger = createLogger({ service: "gateway", level: config.logLevel });
logFatalErrors(logger);
warnOfIgnoredVariables(logger, readGatewayConfig, "GATEWAY_");
try {
  const gateway = await startGateway(config, logger);
  stopOnSignals(logger, () => gateway.close());
} catch (error) {
  // A port in use, a host that does not resolve: one line, as the services do.
  logger.fatal({ err: error }, "start failed");
  process.exit(1);
}
