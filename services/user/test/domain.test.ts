import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "@skyros/kit/config";
import { readUserConfig } from "../src/config.ts";
import { hashPassword, verifyPassword } from "../src/passwords.ts";
import { hashRefreshToken, judgeRefreshToken, newRefreshToken } from "../src/refresh-tokens.ts";
import { generateSigningKey, loadSigningKeys, type StoredSigningKey } from "../src/signing-keys.ts";

const fast = { memoryKiB: 1024, passes: 1, parallelism: 1 };

describe("passwords", () => {
  test("argon2id hashes verify the right password only, and are salted", async () => {
    const hash = await hashPassword("correct horse", fast);
    assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.equal(await verifyPassword("correct horse", hash), true);
    assert.equal(await verifyPassword("correct horsf", hash), false);
    assert.notEqual(await hashPassword("correct horse", fast), hash);
    assert.equal(await verifyPassword("anything", "not a hash"), false);
  });

  test("the default cost is OWASP's argon2id minimum", async () => {
    assert.match(await hashPassword("x"), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe("refresh tokens", () => {
  const now = new Date("2026-06-01T00:00:00Z");
  const live = { expireTime: new Date("2026-07-01T00:00:00Z"), rotateTime: null, revokeTime: null };

  test("are random and stored as a hash", () => {
    const a = newRefreshToken();
    assert.notEqual(a.token, newRefreshToken().token);
    assert.deepEqual(a.hash, hashRefreshToken(a.token));
    assert.ok(!a.hash.toString("utf8").includes(a.token));
  });

  test("a live token rotates; a rotated one is reuse; revoked, expired or unknown ones are invalid", () => {
    assert.equal(judgeRefreshToken(live, now), "rotate");
    assert.equal(judgeRefreshToken({ ...live, rotateTime: now }, now), "reuse");
    assert.equal(judgeRefreshToken({ ...live, revokeTime: now }, now), "invalid");
    assert.equal(judgeRefreshToken({ ...live, rotateTime: now, revokeTime: now }, now), "invalid");
    assert.equal(judgeRefreshToken({ ...live, expireTime: now }, now), "invalid");
    assert.equal(judgeRefreshToken(undefined, now), "invalid");
  });
});

describe("signing keys", () => {
  test("the first start creates a key; later starts (and racing replicas) use the oldest", async () => {
    const stored: StoredSigningKey[] = [];
    const store = {
      listSigningKeys: async () => [...stored],
      insertSigningKey: async (key: StoredSigningKey) => {
        stored.push(key);
      },
    };
    const first = await loadSigningKeys(store, undefined);
    assert.equal(stored.length, 1);
    stored.push(await generateSigningKey());
    const second = await loadSigningKeys(store, undefined);
    assert.equal(stored.length, 2);
    const kid = (token: string) =>
      JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()).kid;
    const claims = { userId: "u", role: "buyer" as const, issuer: "i", audience: "a", ttlSeconds: 60 };
    assert.equal(kid(await first.signAccessToken(claims)), stored[0]?.kid);
    assert.equal(kid(await second.signAccessToken(claims)), stored[0]?.kid);
    assert.equal(second.publicJwks.length, 2);
    for (const jwk of second.publicJwks) assert.equal((jwk as Record<string, unknown>).d, undefined);
  });

  test("a configured key is used and published alone", async () => {
    const key = await generateSigningKey();
    const store = {
      listSigningKeys: async () => assert.fail("the store is not consulted"),
      insertSigningKey: async () => assert.fail("nothing is stored"),
    };
    const keys = await loadSigningKeys(store, JSON.stringify(key.privateJwk));
    assert.deepEqual(keys.publicJwks, [key.publicJwk]);
  });
});

describe("configuration", () => {
  const base = { SKYROS_SERVICE_CREDENTIAL: "0123456789abcdef" };

  test("defaults: port 4011, tokens for 15 minutes", () => {
    const config = readUserConfig(base);
    assert.equal(config.port, 4011);
    assert.equal(config.accessTokenTtlSeconds, 900);
  });

  test("a malformed signing key stops the start with the variable's name", () => {
    assert.throws(() => readUserConfig({ ...base, USER_SIGNING_KEY_JWK: "{" }), ConfigError);
    assert.throws(
      () => readUserConfig({ ...base, USER_SIGNING_KEY_JWK: '{"kty":"RSA"}' }),
      /USER_SIGNING_KEY_JWK must be an Ed25519 private key/,
    );
  });
});
