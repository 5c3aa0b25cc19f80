/**
 * Rate-limit counters in Redis, shared by every gateway replica. Each count is
 * one Lua script (atomic on the server), so replicas racing on one subject
 * never lose a hit and a window always gets its expiry.
 *
 * Subjects are client and email addresses: they are stored as SHA-256
 * digests, so the store's key list shows no address (someone who can read
 * Redis could still confirm a guessed one: the digests are not keyed).
 */
import { Redis } from "ioredis";
import { type CounterStore, subjectDigest, type WindowCount } from "./counter-store.ts";

// KEYS[1]: the counter; ARGV[1]: the window in ms. The expiry is set when the
// window opens, and repaired if a key somehow lost it.
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

// Takes back one hit of the current window; a window that ended stays gone.
const DECREMENT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return count
`;

interface CountingCommands {
  skyrosRateIncrement(key: string, windowMs: number): Promise<[number, number]>;
  skyrosRateDecrement(key: string): Promise<number>;
}

/**
 * A rate-limit check sits on the request path: when Redis is slow or away it
 * must fail fast (and the limits fall back to memory), not queue the request
 * behind a reconnect.
 */
const COMMAND_TIMEOUT_MS = 250;
const CONNECT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

/** A client for the rate limits; it connects in the background and keeps reconnecting. */
export function connectRateLimitRedis(url: string, onError: (error: Error) => void): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  client.on("error", onError);
  return client;
}

/** Counters under `${prefix}ratelimit:`; closing the store does not close the client. */
export function createRedisCounterStore(client: Redis, prefix: string): CounterStore {
  client.defineCommand("skyrosRateIncrement", { numberOfKeys: 1, lua: INCREMENT });
  client.defineCommand("skyrosRateDecrement", { numberOfKeys: 1, lua: DECREMENT });
  const commands = client as unknown as CountingCommands;
  const keyOf = (limit: string, subject: string) => `${prefix}ratelimit:${limit}:${subjectDigest(subject)}`;
  const windowCount = ([count, ttl]: [number, number]): WindowCount => ({ count, resetInMs: ttl });
  return {
    async increment(limit, subject, windowMs) {
      return windowCount(await commands.skyrosRateIncrement(keyOf(limit, subject), windowMs));
    },
    async decrement(limit, subject) {
      await commands.skyrosRateDecrement(keyOf(limit, subject));
    },
    async close() {},
  };
}
