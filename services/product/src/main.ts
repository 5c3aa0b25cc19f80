/** Runs the product service: configuration from the environment, stop on SIGTERM. */
import { runServiceMain } from "@skyros/kit/service-runtime";
import { readProductConfig } from "./config.ts";
import { startProductService } from "./product-service.ts";

await runServiceMain({
  service: "product",
  database: "products",
  readConfig: readProductConfig,
  start: startProductService,
});
