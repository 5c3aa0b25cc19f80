/** The user service's configuration. */
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "@skyros/kit/auth";
import { ConfigError, type Env, envInt, envOptional } from "@skyros/kit/config";
import { readServiceBaseConfig, type ServiceBaseConfig } from "@skyros/kit/service-config";

export interface UserConfig extends ServiceBaseConfig {
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** An Ed25519 private key as a JWK (JSON); unset: one is created and kept in the database. */
  readonly signingKeyJwk: string | undefined;
  /** Failed logins an email address may have per window (0: no limit), as the gateway's default. */
  readonly failedLoginLimit: { readonly max: number; readonly windowMs: number };
}

export const USER_DEFAULT_PORT = 4011;

/** Reads the user service's configuration from the environment. */
export function readUserConfig(env: Env): UserConfig {
  return {
    ...readServiceBaseConfig(env, "USER", USER_DEFAULT_PORT),
    accessTokenTtlSeconds: envInt(
      env,
      "USER_ACCESS_TOKEN_TTL_SECONDS",
      900,
      10,
      MAX_ACCESS_TOKEN_TTL_SECONDS,
    ),
    refreshTokenTtlSeconds: envInt(env, "USER_REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400, 60, 365 * 86_400),
    signingKeyJwk: checkSigningKey(envOptional(env, "USER_SIGNING_KEY_JWK")),
    failedLoginLimit: {
      max: envInt(env, "USER_FAILED_LOGIN_MAX", 10, 0, 1_000_000),
      windowMs: envInt(env, "USER_FAILED_LOGIN_WINDOW_MS", 900_000, 1_000, 86_400_000),
    },
  };
}

/** Checks that a configured signing key is an Ed25519 private JWK, so a bad one stops the start. */
function checkSigningKey(json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(json);
  } catch {
    throw new ConfigError("USER_SIGNING_KEY_JWK must be a JSON Web Key");
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string" || typeof jwk.x !== "string") {
    throw new ConfigError(
      "USER_SIGNING_KEY_JWK must be an Ed25519 private key (kty OKP, crv Ed25519, x and d)",
    );
  }
  return json;
}
