/**
 * A bounded, short-lived cache of users' profiles in front of a user directory,
 * so that a service answering many requests about the same buyers and sellers
 * does not ask the user service each time. Profiles are read-only in the
 * public API; the time to live bounds how stale one may be if that changes.
 *
 * A profile past its time to live is still served for a while (maxStaleMs)
 * while a fresh one is fetched in the background: reads of known sellers do
 * not wait on the user service, and keep working while it is down or slow
 * (they waited for the call's deadline, then failed).
 */
import type { User } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { UserDirectory } from "./user-directory.ts";

export interface ProfileCacheOptions {
  /** How long a fetched profile is reused; 0 turns the cache off. */
  readonly ttlMs: number;
  /** The most profiles kept; the oldest fetched go first. */
  readonly maxEntries: number;
  /** How long past its TTL a profile may be served while it is fetched again; default ten TTLs. */
  readonly maxStaleMs?: number;
}

/** The directory with its profiles cached; token verification is unchanged. */
export function withProfileCache(directory: UserDirectory, options: ProfileCacheOptions): UserDirectory {
  if (options.ttlMs <= 0 || options.maxEntries <= 0) return directory;
  const maxStaleMs = options.maxStaleMs ?? 10 * options.ttlMs;
  const cache = new Map<string, { readonly user: User; readonly expires: number }>();
  const refreshing = new Set<string>();
  // After a refresh failed, reads wait this long before asking again: a user
  // service that fails fast must not get a call for every read.
  const retryAfterFailureMs = Math.min(options.ttlMs, 1_000);
  let refreshAllowedAt = 0;

  const keep = (id: string, user: User, now: number) => {
    cache.delete(id);
    if (cache.size >= options.maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(id, { user, expires: now + options.ttlMs });
  };

  const refreshInBackground = (ids: readonly string[]) => {
    const due = ids.filter((id) => !refreshing.has(id));
    if (due.length === 0 || Date.now() < refreshAllowedAt) return;
    for (const id of due) refreshing.add(id);
    directory.usersByIds(due).then(
      (users) => {
        const now = Date.now();
        for (const id of due) {
          const user = users.get(id);
          if (user === undefined) cache.delete(id);
          else keep(id, user, now);
          refreshing.delete(id);
        }
      },
      // The stale profile stays until a later read tries again, or it is too old.
      () => {
        refreshAllowedAt = Date.now() + retryAfterFailureMs;
        for (const id of due) refreshing.delete(id);
      },
    );
  };

  return {
    verifier: directory.verifier,
    async usersByIds(ids) {
      const now = Date.now();
      const found = new Map<string, User>();
      const missing: string[] = [];
      const stale: string[] = [];
      for (const id of new Set(ids)) {
        const entry = cache.get(id);
        if (entry !== undefined && entry.expires + maxStaleMs > now) {
          found.set(id, entry.user);
          if (entry.expires <= now) stale.push(id);
        } else missing.push(id);
      }
      if (stale.length > 0) refreshInBackground(stale);
      if (missing.length === 0) return found;
      for (const [id, user] of await directory.usersByIds(missing)) {
        keep(id, user, now);
        found.set(id, user);
      }
      return found;
    },
  };
}
