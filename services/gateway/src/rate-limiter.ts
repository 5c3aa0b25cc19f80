/**
 * Fixed-window rate limits over a counter store: at most `max` hits per
 * subject per window. Where the counts live (this replica's memory, or Redis
 * shared by every replica) is the store's business.
 */
import type { RateLimit } from "./config.ts";
import type { CounterStore } from "./counter-store.ts";

export interface RateLimiter {
  /** Seconds until `subject` may try again, or 0 when it is under its limit (nothing is counted). */
  blockedFor(subject: string): Promise<number>;
  /** Counts one hit for `subject`. */
  hit(subject: string): Promise<void>;
  /** Counts one hit, and says how long `subject` must wait if this hit went over the limit. */
  take(subject: string): Promise<number>;
}

const secondsToWait = (resetInMs: number) => Math.max(1, Math.ceil(resetInMs / 1000));

/** The limit named `name` (its counters' namespace in the store); max 0 allows everything. */
export function createRateLimiter(name: string, limit: RateLimit, store: CounterStore): RateLimiter {
  if (limit.max === 0) {
    return { blockedFor: async () => 0, hit: async () => {}, take: async () => 0 };
  }
  return {
    async blockedFor(subject) {
      const { count, resetInMs } = await store.peek(name, subject);
      return count >= limit.max ? secondsToWait(resetInMs) : 0;
    },
    async hit(subject) {
      await store.increment(name, subject, limit.windowMs);
    },
    async take(subject) {
      const { count, resetInMs } = await store.increment(name, subject, limit.windowMs);
      return count > limit.max ? secondsToWait(resetInMs) : 0;
    },
  };
}
