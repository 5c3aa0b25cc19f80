/** Who calls a public RPC that anyone may call. */
import { type AccessTokenVerifier, authenticate, type Caller } from "@skyros/kit/auth";

/**
 * The caller, when the request presents a token, or undefined for an anonymous
 * one. A presented token must be valid (else Unauthenticated): a bad token is
 * never silently treated as no token.
 */
export async function optionalCaller(
  verifier: AccessTokenVerifier,
  headers: Headers,
): Promise<Caller | undefined> {
  const authorization = headers.get("authorization");
  if (authorization === null || authorization === "") return undefined;
  return authenticate(verifier, headers);
}
