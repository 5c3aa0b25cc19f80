/**
 * Fixed-window rate limits over a counter store: at most `max` hits per
 * subject per window. Where the counts live (this replica's memory, or Redis
 * shared by every replica) is the store's business.
 */
import type { RateLimit } from "./config.ts";
import type { CounterStore } from "./counter-store.ts";

export interface RateLimiter {
  /** Counts one hit, and says how long `subject` must wait if this hit went over the limit (else 0). */
  take(subject: string): Promise<number>;
  /** Takes back a hit that `take` counted, once it turns out not to count (never below zero). */
  giveBack(subject: string): Promise<void>;
}

const secondsToWait = (resetInMs: number) => Math.max(1, Math.ceil(resetInMs / 1000));

/** The limit named `name` (its counters' namespace in the store); max 0 allows everything. */
export function createRateLimiter(name: string, limit: RateLimit, store: CounterStore): RateLimiter {
  if (limit.max === 0) return { take: async () => 0, giveBack: async () => {} };
  return {
    async take(subject) {
      const { count, resetInMs } = await store.increment(name, subject, limit.windowMs);
      return count > limit.max ? secondsToWait(resetInMs) : 0;
    },
    giveBack: (subject) => store.decrement(name, subject),
  };
}
