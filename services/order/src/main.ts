/** Runs the order service: configuration from the environment, stop on SIGTERM. */
import { runServiceMain } from "@skyros/kit/service-runtime";
import { readOrderConfig } from "./config.ts";
import { startOrderService } from "./order-service.ts";

await runServiceMain({
  service: "order",
  database: "orders",
  readConfig: readOrderConfig,
  start: startOrderService,
});
