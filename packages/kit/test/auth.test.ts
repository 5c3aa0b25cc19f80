import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { bearerToken, createAccessTokenVerifier, MAX_ACCESS_TOKEN_TTL_SECONDS } from "../src/auth.ts";
import { expectDomainRejection } from "../src/testing.ts";

async function newKey() {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, publicJwk: { ...jwk, kid } as JWK };
}

type Key = Awaited<ReturnType<typeof newKey>>;

const USER_ID = "0b6f4a0e-2f55-4c1e-9d8a-3c2b1a0f9e8d";

function sign(
  key: Key,
  claims: Record<string, unknown> = { role: "buyer" },
  options: { exp?: string | number; aud?: string; iat?: number; sub?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid })
    .setSubject(options.sub ?? USER_ID)
    .setIssuer("skyros")
    .setAudience(options.aud ?? "skyros")
    .setIssuedAt(options.iat)
    .setExpirationTime(options.exp ?? "15m")
    .sign(key.privateKey);
}

const rejection = async (promise: Promise<unknown>): Promise<string> =>
  (await expectDomainRejection(promise, "unauthenticated")).message;

describe("access token verifier", () => {
  test("accepts a token signed by a published key and returns the caller", async () => {
    const key = await newKey();
    const verifier = createAccessTokenVerifier({
      issuer: "skyros",
      audience: "skyros",
      loadKeys: async () => [key.publicJwk],
    });
    assert.deepEqual(await verifier.verify(await sign(key)), { userId: USER_ID, role: "buyer" });
  });

  test("refuses expired tokens, other audiences, unknown roles and forged signatures", async () => {
    const key = await newKey();
    const other = await newKey();
    const verifier = createAccessTokenVerifier({
      issuer: "skyros",
      audience: "skyros",
      loadKeys: async () => [key.publicJwk],
    });
    await rejection(verifier.verify(await sign(key, { role: "buyer" }, { exp: "-1s" })));
    await rejection(verifier.verify(await sign(key, { role: "buyer" }, { aud: "elsewhere" })));
    await rejection(verifier.verify(await sign(key, { role: "admin" })));
    const forged = await new SignJWT({ role: "seller" })
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid })
      .setSubject(USER_ID)
      .setIssuer("skyros")
      .setAudience("skyros")
      .setIssuedAt()
      .setExpirationTime("15m")
      .sign(other.privateKey);
    await rejection(verifier.verify(forged));
    await rejection(verifier.verify("not-a-token"));
  });

  test("refuses validly signed tokens from the future, living past the longest lifetime, or naming no user id", async () => {
    const key = await newKey();
    const verifier = createAccessTokenVerifier({
      issuer: "skyros",
      audience: "skyros",
      loadKeys: async () => [key.publicJwk],
    });
    const now = Math.floor(Date.now() / 1000);
    const inAnHour = now + 3_600;
    assert.equal(
      await rejection(
        verifier.verify(await sign(key, { role: "buyer" }, { iat: inAnHour, exp: inAnHour + 900 })),
      ),
      "access token issued in the future",
    );
    assert.equal(
      await rejection(
        verifier.verify(
          await sign(key, { role: "buyer" }, { iat: now, exp: now + MAX_ACCESS_TOKEN_TTL_SECONDS + 1 }),
        ),
      ),
      "access token lives too long",
    );
    for (const sub of ["user-1", "x' or 1=1--", ""]) {
      assert.equal(
        await rejection(verifier.verify(await sign(key, { role: "buyer" }, { sub }))),
        "access token lacks a subject or role",
        sub,
      );
    }
    // A clock a little ahead at the issuer, and the longest lifetime, are fine.
    assert.equal(
      (await verifier.verify(await sign(key, { role: "buyer" }, { iat: now + 30, exp: now + 930 }))).userId,
      USER_ID,
    );
    assert.equal(
      (
        await verifier.verify(
          await sign(key, { role: "buyer" }, { iat: now, exp: now + MAX_ACCESS_TOKEN_TTL_SECONDS }),
        )
      ).userId,
      USER_ID,
    );
  });

  test("an unknown kid makes it fetch the keys again (key rotation), at most once per interval", async () => {
    const first = await newKey();
    const second = await newKey();
    let published = [first.publicJwk];
    let loads = 0;
    const verifier = createAccessTokenVerifier({
      issuer: "skyros",
      audience: "skyros",
      minRefreshIntervalMs: 60_000,
      loadKeys: async () => {
        loads++;
        return published;
      },
    });
    await verifier.verify(await sign(first));
    assert.equal(loads, 1);
    published = [first.publicJwk, second.publicJwk];
    // Within the interval an unknown kid does not trigger another fetch...
    assert.match(await rejection(verifier.verify(await sign(second))), /unknown key/);
    assert.equal(loads, 1);

    const eager = createAccessTokenVerifier({
      issuer: "skyros",
      audience: "skyros",
      minRefreshIntervalMs: 0,
      loadKeys: async () => {
        loads++;
        return published;
      },
    });
    published = [first.publicJwk];
    await eager.verify(await sign(first));
    published = [first.publicJwk, second.publicJwk];
    // ...after it, the new key is fetched and the token verifies.
    assert.deepEqual(await eager.verify(await sign(second, { role: "seller" })), {
      userId: USER_ID,
      role: "seller",
    });
  });

  test("bearer tokens are read from the authorization header", () => {
    assert.equal(bearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
    assert.equal(bearerToken("bearer abc"), "abc");
    assert.equal(bearerToken("Basic abc"), undefined);
    assert.equal(bearerToken(null), undefined);
  });
});
