/**
 * A bounded, short-lived cache of users' profiles in front of a user directory,
 * so that a service answering many requests about the same buyers and sellers
 * does not ask the user service each time. Profiles are read-only in the
 * public API; the time to live bounds how stale one may be if that changes.
 */
import type { User } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { UserDirectory } from "./user-directory.ts";

export interface ProfileCacheOptions {
  /** How long a fetched profile is reused; 0 turns the cache off. */
  readonly ttlMs: number;
  /** The most profiles kept; the oldest fetched go first. */
  readonly maxEntries: number;
}

/** The directory with its profiles cached; token verification is unchanged. */
export function withProfileCache(directory: UserDirectory, options: ProfileCacheOptions): UserDirectory {
  if (options.ttlMs <= 0 || options.maxEntries <= 0) return directory;
  const cache = new Map<string, { readonly user: User; readonly expires: number }>();
  return {
    verifier: directory.verifier,
    async usersByIds(ids) {
      const now = Date.now();
      const found = new Map<string, User>();
      const missing: string[] = [];
      for (const id of new Set(ids)) {
        const entry = cache.get(id);
        if (entry !== undefined && entry.expires > now) found.set(id, entry.user);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      for (const [id, user] of await directory.usersByIds(missing)) {
        cache.delete(id);
        if (cache.size >= options.maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(id, { user, expires: now + options.ttlMs });
        found.set(id, user);
      }
      return found;
    },
  };
}
