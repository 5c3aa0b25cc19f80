/**
 * Where the gateway's rate limits keep their counts: fixed windows, one
 * counter per limit and subject (a client address, an email address).
 *
 * In memory a limit holds per replica. With REDIS_URL the counts are shared by
 * every replica (redis-counter-store.ts); when Redis cannot answer, the limits
 * fall back to this replica's memory rather than turning off, so a Redis
 * outage weakens the protection against password guessing but never removes
 * it, and never fails a request.
 */
import { createHash } from "node:crypto";

/** A subject's count in its current window. */
export interface WindowCount {
  readonly count: number;
  /** Milliseconds until the window ends. */
  readonly resetInMs: number;
}

export interface CounterStore {
  /** Counts one hit, opening a window of `windowMs` if the subject has none. */
  increment(limit: string, subject: string, windowMs: number): Promise<WindowCount>;
  /** Takes back one hit counted in the subject's current window (never below zero). */
  decrement(limit: string, subject: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The fixed-size name a store keeps for a subject. Subjects come from clients
 * (an email in a login body may be a megabyte long) and are kept for a whole
 * window, so no store keeps them as sent; nor do email addresses sit in Redis
 * in the clear.
 */
export const subjectDigest = (subject: string): string =>
  createHash("sha256").update(subject).digest("base64url");

interface Window {
  count: number;
  resetAt: number;
}

/** Counters in this process's memory; expired windows are swept every `sweepMs`. */
export function createMemoryCounterStore(
  options: { now?: () => number; sweepMs?: number } = {},
): CounterStore {
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  // Memory follows the active subjects only.
  const sweep = setInterval(() => {
    const time = now();
    for (const [key, window] of windows) if (window.resetAt <= time) windows.delete(key);
  }, options.sweepMs ?? 30_000);
  sweep.unref();

  const keyOf = (limit: string, subject: string) => `${limit}\u0000${subjectDigest(subject)}`;
  const live = (key: string): Window | undefined => {
    const window = windows.get(key);
    if (window === undefined || window.resetAt > now()) return window;
    windows.delete(key);
    return undefined;
  };
  const countOf = (window: Window): WindowCount => ({
    count: window.count,
    resetInMs: window.resetAt - now(),
  });

  return {
    async increment(limit, subject, windowMs) {
      const key = keyOf(limit, subject);
      const window = live(key);
      if (window !== undefined) {
        window.count += 1;
        return countOf(window);
      }
      const created = { count: 1, resetAt: now() + windowMs };
      windows.set(key, created);
      return countOf(created);
    },
    async decrement(limit, subject) {
      const window = live(keyOf(limit, subject));
      if (window !== undefined && window.count > 0) window.count -= 1;
    },
    async close() {
      clearInterval(sweep);
    },
  };
}

/** Told when the shared store stops answering and when it answers again. */
export type FallbackListener = (event: { readonly usingFallback: boolean; readonly error?: unknown }) => void;

export interface FallbackOptions {
  /**
   * After the primary fails, how long calls go straight to the fallback before
   * one asks the primary again: a Redis that times out rather than refuses
   * must not slow every request by its timeout.
   */
  readonly probeAfterMs?: number;
  readonly now?: () => number;
}

/**
 * Asks `primary`; when it fails, answers from `fallback`, asking the primary
 * again at most once per `probeAfterMs` until it answers. Each change of state
 * is reported once, not each call.
 */
export function createFallbackCounterStore(
  primary: CounterStore,
  fallback: CounterStore,
  onChange: FallbackListener,
  options: FallbackOptions = {},
): CounterStore {
  const probeAfterMs = options.probeAfterMs ?? 1_000;
  const now = options.now ?? Date.now;
  let usingFallback = false;
  let probeAt = 0;
  const attempt = async <T>(ask: (store: CounterStore) => Promise<T>): Promise<T> => {
    if (usingFallback && now() < probeAt) return ask(fallback);
    try {
      const answer = await ask(primary);
      if (usingFallback) {
        usingFallback = false;
        onChange({ usingFallback });
      }
      return answer;
    } catch (error) {
      probeAt = now() + probeAfterMs;
      if (!usingFallback) {
        usingFallback = true;
        onChange({ usingFallback, error });
      }
      return ask(fallback);
    }
  };
  return {
    increment: (limit, subject, windowMs) => attempt((store) => store.increment(limit, subject, windowMs)),
    decrement: (limit, subject) => attempt((store) => store.decrement(limit, subject)),
    async close() {
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}
