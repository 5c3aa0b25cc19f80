/** The product service's configuration. */
import type { Env } from "@skyros/kit/config";
import { readServiceBaseConfig, type ServiceBaseConfig } from "@skyros/kit/service-config";

/** Everything the product service reads at start-up; it needs nothing beyond the shared settings. */
export type ProductConfig = ServiceBaseConfig;

export const PRODUCT_DEFAULT_PORT = 4022;

/** Reads the product service's configuration from the environment. */
export function readProductConfig(env: Env): ProductConfig {
  return readServiceBaseConfig(env, "PRODUCT", PRODUCT_DEFAULT_PORT);
}
