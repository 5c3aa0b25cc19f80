/**
 * Fixed-window counters kept in this process's memory. With several gateway
 * replicas each counts on its own, so a limit holds per replica: a shared
 * store is needed to enforce it across replicas.
 */
import type { RateLimit } from "./config.ts";

export interface RateLimiter {
  /** Seconds until `key` may try again, or 0 when it is under its limit (nothing is counted). */
  blockedFor(key: string): number;
  /** Counts one hit for `key`. */
  hit(key: string): void;
  /** Counts one hit, and says how long `key` must wait if this hit went over the limit. */
  take(key: string): number;
  /** Stops the sweeping of expired windows. */
  close(): void;
}

interface Window {
  count: number;
  resetAt: number;
}

/** A limiter allowing `limit.max` hits per key per window; max 0 allows everything. */
export function createRateLimiter(limit: RateLimit, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, Window>();
  // Expired windows are dropped regularly, so memory follows the active keys only.
  const sweep = setInterval(
    () => {
      const time = now();
      for (const [key, window] of windows) if (window.resetAt <= time) windows.delete(key);
    },
    Math.min(limit.windowMs, 60_000),
  );
  sweep.unref();

  const current = (key: string): Window | undefined => {
    const window = windows.get(key);
    if (window === undefined || window.resetAt > now()) return window;
    windows.delete(key);
    return undefined;
  };
  const waitOf = (window: Window) => Math.max(1, Math.ceil((window.resetAt - now()) / 1000));
  const hit = (key: string): Window => {
    const window = current(key);
    if (window !== undefined) {
      window.count += 1;
      return window;
    }
    const created = { count: 1, resetAt: now() + limit.windowMs };
    windows.set(key, created);
    return created;
  };

  return {
    blockedFor(key) {
      if (limit.max === 0) return 0;
      const window = current(key);
      return window !== undefined && window.count >= limit.max ? waitOf(window) : 0;
    },
    hit(key) {
      if (limit.max > 0) hit(key);
    },
    take(key) {
      if (limit.max === 0) return 0;
      const window = hit(key);
      return window.count > limit.max ? waitOf(window) : 0;
    },
    close: () => clearInterval(sweep),
  };
}
