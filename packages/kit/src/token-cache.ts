/**
 * Remembers access tokens that verified, so that a client sending the same
 * token on every request costs one signature check, not one per request. An
 * entry lives until the token's own expiry or `maxAgeMs`, whichever is sooner;
 * tokens that fail are never remembered, so garbage costs a full check each time.
 */
import { decodeJwt } from "jose";
import type { AccessTokenVerifier, Caller } from "./auth.ts";

export interface TokenCacheOptions {
  /** The most tokens remembered; the oldest verified go first. 0 turns the cache off. */
  readonly maxEntries: number;
  /** The longest a verified token is trusted without checking it again. */
  readonly maxAgeMs: number;
}

/** The verifier with a cache of verified tokens in front of it. */
export function withTokenCache(
  verifier: AccessTokenVerifier,
  options: TokenCacheOptions,
): AccessTokenVerifier {
  if (options.maxEntries <= 0 || options.maxAgeMs <= 0) return verifier;
  const cache = new Map<string, { readonly caller: Caller; readonly until: number }>();
  return {
    async verify(token) {
      const now = Date.now();
      const entry = cache.get(token);
      if (entry !== undefined) {
        if (entry.until > now) return entry.caller;
        cache.delete(token);
      }
      const caller = await verifier.verify(token);
      // The token verified, so its payload is well-formed and has an exp claim.
      const expiry = (decodeJwt(token).exp ?? 0) * 1000;
      if (cache.size >= options.maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(token, { caller, until: Math.min(expiry, now + options.maxAgeMs) });
      return caller;
    },
  };
}
