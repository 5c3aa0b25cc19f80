/**
 * The gateway's early token check: a token that is presented must verify, and
 * a route whose rule requires a token gets none through without one. Both
 * fail fast with 401 before any service is called. Roles are left to the
 * services, which verify the token again and know the resource.
 */
import { Code } from "@connectrpc/connect";
import { type AccessTokenVerifier, bearerToken } from "@skyros/kit/auth";
import { decodeJwt } from "jose";
import { GatewayError } from "./error-body.ts";
import type { AuthRule } from "./route-table.ts";

/** Checks the `authorization` header of a request against a route's rule. */
export type AuthorizationCheck = (rule: AuthRule, authorization: string | undefined) => Promise<void>;

const MAX_CACHED_TOKENS = 10_000;

/**
 * A check with a verifier. A token that verified is remembered until it
 * expires, so a client's later calls skip the signature check (the services
 * still verify it); the memory is bounded by dropping the oldest entries.
 */
export function createAuthorizationCheck(
  verifier: AccessTokenVerifier,
  now: () => number = Date.now,
): AuthorizationCheck {
  const verifiedUntil = new Map<string, number>();

  const verify = async (token: string) => {
    const until = verifiedUntil.get(token);
    if (until !== undefined && until > now()) return;
    try {
      await verifier.verify(token);
    } catch {
      verifiedUntil.delete(token);
      throw new GatewayError(Code.Unauthenticated, "invalid or expired access token");
    }
    const { exp } = decodeJwt(token);
    if (exp === undefined) return;
    if (verifiedUntil.size >= MAX_CACHED_TOKENS) {
      const oldest = verifiedUntil.keys().next();
      if (!oldest.done) verifiedUntil.delete(oldest.value);
    }
    verifiedUntil.set(token, exp * 1000);
  };

  return async (rule, authorization) => {
    if (authorization === undefined || authorization === "") {
      if (rule.required) throw new GatewayError(Code.Unauthenticated, "missing bearer access token");
      return;
    }
    const token = bearerToken(authorization);
    if (token === undefined) throw new GatewayError(Code.Unauthenticated, "malformed authorization header");
    await verify(token);
  };
}
