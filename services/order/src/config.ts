/** The order service's configuration. */
import { ConfigError, type Env, envInt, envUrl } from "@skyros/kit/config";
import { readServiceBaseConfig, type ServiceBaseConfig } from "@skyros/kit/service-config";

export interface OrderConfig extends ServiceBaseConfig {
  /** Where the product service listens (products and their stock). */
  readonly productServiceUrl: string;
  /** How long an Idempotency-Key is remembered. */
  readonly idempotencyKeyTtlSeconds: number;
  /** How often the recovery loop looks for unfinished stock steps. */
  readonly recoveryIntervalMs: number;
  /**
   * How long a reservation or a release may stay unconfirmed before the recovery
   * loop repeats it (and how long one attempt keeps an order claimed).
   */
  readonly stockStepTimeoutMs: number;
  /** How long the recovery loop keeps retrying a reservation before it gives the order up. */
  readonly reservationGiveUpMs: number;
}

export const ORDER_DEFAULT_PORT = 4033;

/** Reads the order service's configuration from the environment. */
export function readOrderConfig(env: Env): OrderConfig {
  const config: OrderConfig = {
    ...readServiceBaseConfig(env, "ORDER", ORDER_DEFAULT_PORT),
    productServiceUrl: envUrl(env, "PRODUCT_SERVICE_URL", ["http:", "https:"], "http://127.0.0.1:4022"),
    idempotencyKeyTtlSeconds: envInt(env, "ORDER_IDEMPOTENCY_KEY_TTL_SECONDS", 86_400, 1, 30 * 86_400),
    recoveryIntervalMs: envInt(env, "ORDER_RECOVERY_INTERVAL_MS", 1_000, 10, 3_600_000),
    stockStepTimeoutMs: envInt(env, "ORDER_STOCK_STEP_TIMEOUT_MS", 5_000, 10, 3_600_000),
    reservationGiveUpMs: envInt(env, "ORDER_RESERVATION_GIVE_UP_MS", 60_000, 10, 7 * 86_400_000),
  };
  if (config.reservationGiveUpMs < config.stockStepTimeoutMs) {
    throw new ConfigError("ORDER_RESERVATION_GIVE_UP_MS must not be less than ORDER_STOCK_STEP_TIMEOUT_MS");
  }
  return config;
}
