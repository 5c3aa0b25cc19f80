/** Runs the user service: configuration from the environment, stop on SIGTERM. */
import { runServiceMain } from "@skyros/kit/service-runtime";
import { readUserConfig } from "./config.ts";
import { startUserService } from "./user-service.ts";

await runServiceMain({
  service: "user",
  database: "users",
  readConfig: readUserConfig,
  start: startUserService,
});
