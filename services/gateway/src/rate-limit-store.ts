/**
 * The counter store of the gateway's rate limits, from its configuration:
 * this replica's memory, or Redis (REDIS_URL) shared by every replica with
 * memory as the fallback while Redis cannot answer. Also the adapter that
 * lets @fastify/rate-limit count in the same store.
 */
import type { CreateRateLimitOptions } from "@fastify/rate-limit";
import type { Logger } from "@skyros/kit/logger";
import type { GatewayConfig } from "./config.ts";
import { type CounterStore, createFallbackCounterStore, createMemoryCounterStore } from "./counter-store.ts";
import { connectRateLimitRedis, createRedisCounterStore } from "./redis-counter-store.ts";

export interface RateLimitStore {
  readonly store: CounterStore;
  /** "memory" or "redis": where the counts are kept when all is well. */
  readonly kind: "memory" | "redis";
  /**
   * Settles when Redis is connected, or after a short wait if it is not (the
   * limits then start in memory): so that a replica starting next to a healthy
   * Redis counts its first requests there.
   */
  readonly connected: Promise<void>;
  close(): Promise<void>;
}

/** How long start-up waits for Redis before serving with the memory fallback. */
const STARTUP_WAIT_MS = 3_000;

/** Opens the store; with Redis, it connects in the background and does not wait for it. */
export function openRateLimitStore(
  config: Pick<GatewayConfig, "redisUrl" | "redisKeyPrefix">,
  logger: Logger,
): RateLimitStore {
  const memory = createMemoryCounterStore();
  if (config.redisUrl === undefined)
    return { store: memory, kind: "memory", connected: Promise.resolve(), close: memory.close };
  let lastError = "";
  const client = connectRateLimitRedis(config.redisUrl, (error) => {
    // The client retries on its own; say so once per kind of failure, not on every retry.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ reason: error.message }, "rate-limit Redis connection failed; retrying");
  });
  client.on("ready", () => {
    lastError = "";
    logger.info("rate limits count in Redis, shared by every replica");
  });
  const store = createFallbackCounterStore(
    createRedisCounterStore(client, config.redisKeyPrefix),
    memory,
    ({ usingFallback, error }) => {
      if (usingFallback)
        logger.warn(
          { reason: error instanceof Error ? error.message : String(error) },
          "Redis cannot count rate limits; counting in this replica's memory until it can",
        );
      else logger.info("Redis counts rate limits again");
    },
  );
  const connected = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      logger.warn("Redis is not answering yet; the rate limits count in memory until it does");
      resolve();
    }, STARTUP_WAIT_MS);
    timer.unref();
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    store,
    kind: "redis",
    connected,
    async close() {
      await store.close();
      client.disconnect();
    },
  };
}

type FastifyLimitStore = NonNullable<CreateRateLimitOptions["store"]>;

/**
 * @fastify/rate-limit's store over one of ours, under the limit name `limit`.
 * The plugin is registered once for every route, so a route's child store is
 * the same store.
 */
export function fastifyLimitStore(store: CounterStore, limit: string): FastifyLimitStore {
  return class {
    incr(
      subject: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      windowMs: number,
    ) {
      store.increment(limit, subject, windowMs).then(
        ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
        (error: Error) => callback(error),
      );
    }
    child() {
      return this;
    }
  };
}
