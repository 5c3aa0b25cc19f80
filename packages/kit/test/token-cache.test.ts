import assert from "node:assert/strict";
import { test } from "node:test";
import { UnsecuredJWT } from "jose";
import type { AccessTokenVerifier } from "../src/auth.ts";
import { unauthenticated } from "../src/errors.ts";
import { withTokenCache } from "../src/token-cache.ts";

const token = (sub: string, expInSeconds: number) =>
  new UnsecuredJWT({ sub, role: "buyer" })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expInSeconds)
    .encode();

function countingVerifier() {
  const checked: string[] = [];
  const verifier: AccessTokenVerifier = {
    async verify(value) {
      checked.push(value);
      if (value.startsWith("bad")) throw unauthenticated("invalid or expired access token");
      return { userId: "u1", role: "buyer" };
    },
  };
  return { verifier, checked };
}

test("a verified token is checked once, until the cache's maximum age", async () => {
  const { verifier, checked } = countingVerifier();
  const cached = withTokenCache(verifier, { maxEntries: 10, maxAgeMs: 40 });
  const good = token("u1", 900);
  assert.deepEqual(await cached.verify(good), { userId: "u1", role: "buyer" });
  await cached.verify(good);
  assert.equal(checked.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await cached.verify(good);
  assert.equal(checked.length, 2);
});

test("a token is never trusted past its own expiry, and failures are not remembered", async () => {
  const { verifier, checked } = countingVerifier();
  const cached = withTokenCache(verifier, { maxEntries: 10, maxAgeMs: 60_000 });
  const expired = token("u1", -1);
  await cached.verify(expired);
  await cached.verify(expired);
  assert.equal(checked.length, 2);
  await assert.rejects(cached.verify("bad-token"));
  await assert.rejects(cached.verify("bad-token"));
  assert.equal(checked.length, 4);
});

test("the cache keeps at most maxEntries tokens; zero turns it off", async () => {
  const { verifier, checked } = countingVerifier();
  const cached = withTokenCache(verifier, { maxEntries: 2, maxAgeMs: 60_000 });
  const [a, b, c] = [token("a", 900), token("b", 900), token("c", 900)];
  for (const value of [a, b, c, b, c]) await cached.verify(value);
  assert.equal(checked.length, 3);
  await cached.verify(a);
  assert.equal(checked.length, 4);
  assert.equal(withTokenCache(verifier, { maxEntries: 0, maxAgeMs: 1 }), verifier);
});
