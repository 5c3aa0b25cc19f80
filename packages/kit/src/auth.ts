/**
 * Verifying access tokens with the user service's public keys alone. Keys are
 * cached by `kid`; a token with an unknown `kid` makes the verifier fetch the
 * key set again (at most once per `minRefreshIntervalMs`), so key rotation
 * needs no restart.
 */
import { importJWK, type JWK, jwtVerify } from "jose";
import { DomainError, permissionDenied, unauthenticated } from "./errors.ts";
import { isUuid } from "./validation.ts";

export type Role = "buyer" | "seller";
export const ROLES: readonly Role[] = ["buyer", "seller"];

/** Who is calling, as proven by a verified access token. */
export interface Caller {
  readonly userId: string;
  readonly role: Role;
}

export interface AccessTokenVerifier {
  /** The caller a token proves; Unauthenticated when it proves nothing. */
  verify(token: string): Promise<Caller>;
}

export interface AccessTokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Fetches the current public keys (JWKs with kid). */
  readonly loadKeys: () => Promise<readonly JWK[]>;
  readonly minRefreshIntervalMs?: number;
}

type Key = Awaited<ReturnType<typeof importJWK>>;

/** The longest lifetime an access token may be issued with; verifiers refuse longer ones. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 86_400;
/** How far ahead of a verifier's clock an issuer's clock may run. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * What a signature alone does not rule out: a token issued in the future or
 * living longer than any issuer grants (a sign of a leaked signing key or a
 * broken clock), or naming a subject that is no user id.
 */
function claimsProblem(payload: { sub?: unknown; iat?: unknown; exp?: unknown; role?: unknown }) {
  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = payload as { iat: number; exp: number };
  if (iat > now + CLOCK_SKEW_SECONDS) return "access token issued in the future";
  if (exp - iat > MAX_ACCESS_TOKEN_TTL_SECONDS) return "access token lives too long";
  if (typeof payload.sub !== "string" || !isUuid(payload.sub) || !ROLES.includes(payload.role as Role))
    return "access token lacks a subject or role";
  return undefined;
}

/** A verifier of EdDSA access tokens. */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const minInterval = options.minRefreshIntervalMs ?? 5_000;
  let keys = new Map<string, Key>();
  let lastRefresh = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;

  const refresh = () => {
    refreshing ??= (async () => {
      try {
        const jwks = await options.loadKeys();
        const imported = new Map<string, Key>();
        for (const jwk of jwks) {
          if (jwk.kid !== undefined) imported.set(jwk.kid, await importJWK(jwk, "EdDSA"));
        }
        keys = imported;
        lastRefresh = Date.now();
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  };

  const keyFor = async (kid: string | undefined): Promise<Key> => {
    if (kid === undefined) throw unauthenticated("access token has no key id");
    if (!keys.has(kid) && Date.now() - lastRefresh >= minInterval) await refresh();
    const key = keys.get(kid);
    if (key === undefined) throw unauthenticated("access token signed by an unknown key");
    return key;
  };

  return {
    async verify(token) {
      let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
      try {
        ({ payload } = await jwtVerify(token, (header) => keyFor(header.kid), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ["EdDSA"],
          requiredClaims: ["sub", "exp", "iat"],
        }));
      } catch (error) {
        if (error instanceof DomainError) throw error;
        throw unauthenticated("invalid or expired access token");
      }
      const problem = claimsProblem(payload);
      if (problem !== undefined) throw unauthenticated(problem);
      return { userId: payload.sub as string, role: payload.role as Role };
    },
  };
}

/** The bearer token of an `authorization` header value, if it has one. */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  const match = authorization?.match(/^Bearer[ ]+([^ ]+)[ ]*$/i);
  return match?.[1];
}

/** Authenticates the caller of a request from its `authorization` header. */
export async function authenticate(verifier: AccessTokenVerifier, headers: Headers): Promise<Caller> {
  const token = bearerToken(headers.get("authorization"));
  if (token === undefined) throw unauthenticated("missing bearer access token");
  return verifier.verify(token);
}

/** Authenticates the caller and requires one role. */
export async function authenticateAs(
  verifier: AccessTokenVerifier,
  headers: Headers,
  role: Role,
): Promise<Caller> {
  const caller = await authenticate(verifier, headers);
  if (caller.role !== role) throw permissionDenied(`only a ${role} may do this`);
  return caller;
}
