/**
 * The gateway's early token check: a token that is presented must verify, and
 * a route whose rule requires a token gets none through without one. Both
 * fail fast with 401 before any service is called. Roles are left to the
 * services, which verify the token again and know the resource.
 */
import { Code } from "@connectrpc/connect";
import { type AccessTokenVerifier, bearerToken } from "@skyros/kit/auth";
import { GatewayError } from "./error-body.ts";
import type { AuthRule } from "./route-table.ts";

/** Checks the `authorization` header of a request against a route's rule. */
export type AuthorizationCheck = (rule: AuthRule, authorization: string | undefined) => Promise<void>;

/**
 * A check with a verifier. Give it a caching verifier (kit's withTokenCache) so
 * that a client's later calls with the same token skip the signature check.
 */
export function createAuthorizationCheck(verifier: AccessTokenVerifier): AuthorizationCheck {
  const verify = async (token: string) => {
    try {
      await verifier.verify(token);
    } catch {
      throw new GatewayError(Code.Unauthenticated, "invalid or expired access token");
    }
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
