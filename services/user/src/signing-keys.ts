/**
 * The Ed25519 keys that sign access tokens. The signing key is configured, or
 * else created on first start and kept in the database, so that every replica
 * signs with the same key and tokens survive restarts.
 */

import type { Role } from "@skyros/kit/auth";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

export interface StoredSigningKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export interface SigningKeyStore {
  /** Unretired keys, oldest first. */
  listSigningKeys(): Promise<StoredSigningKey[]>;
  /** Adds a key unless one with its kid exists. */
  insertSigningKey(key: StoredSigningKey): Promise<void>;
}

export interface SigningKeys {
  /** Signs an access token for a user. */
  signAccessToken(claims: AccessTokenClaims): Promise<string>;
  /** The public keys to publish (JWKS). */
  readonly publicJwks: readonly JWK[];
}

export interface AccessTokenClaims {
  readonly userId: string;
  readonly role: Role;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

function publicPart(jwk: JWK, kid: string): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: "EdDSA", use: "sig" };
}

/** Creates a new Ed25519 key, identified by its RFC 7638 thumbprint. */
export async function generateSigningKey(): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  return { kid, privateJwk: { ...privateJwk, kid }, publicJwk: publicPart(privateJwk, kid) };
}

/** The stored form of a configured private key (checked by the configuration). */
export async function parseConfiguredKey(json: string): Promise<StoredSigningKey> {
  const jwk = JSON.parse(json) as JWK;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
  return { kid, privateJwk: { ...jwk, kid }, publicJwk: publicPart(jwk, kid) };
}

/**
 * The keys in force: the configured key, or else the oldest key in the store
 * (created on first start; concurrent first starts agree on the oldest).
 */
export async function loadSigningKeys(
  store: SigningKeyStore,
  configuredJwk: string | undefined,
): Promise<SigningKeys> {
  let active: StoredSigningKey;
  let published: StoredSigningKey[];
  if (configuredJwk !== undefined) {
    active = await parseConfiguredKey(configuredJwk);
    published = [active];
  } else {
    let stored = await store.listSigningKeys();
    if (stored.length === 0) {
      await store.insertSigningKey(await generateSigningKey());
      stored = await store.listSigningKeys();
    }
    active = stored[0] as StoredSigningKey;
    published = stored;
  }
  const privateKey = await importJWK(active.privateJwk, "EdDSA");
  return {
    publicJwks: published.map((key) => key.publicJwk),
    signAccessToken: (claims) =>
      new SignJWT({ role: claims.role })
        .setProtectedHeader({ alg: "EdDSA", kid: active.kid, typ: "JWT" })
        .setSubject(claims.userId)
        .setIssuer(claims.issuer)
        .setAudience(claims.audience)
        .setIssuedAt()
        .setExpirationTime(`${claims.ttlSeconds}s`)
        .sign(privateKey),
  };
}
