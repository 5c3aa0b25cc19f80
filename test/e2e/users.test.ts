/**
 * The Users rows of API.md, through the gateway, against the real processes.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { startTestSystem, type TestSystem, uniqueEmail } from "./harness.ts";

let system: TestSystem;
const PASSWORD = "correct horse battery";

before(async () => {
  system = await startTestSystem({ GATEWAY_RATE_LIMIT_FAILED_LOGIN_MAX: "3" });
});

after(async () => {
  await system?.destroy();
});

const register = (type: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  system.api("POST", `/v1/users/register/${type}`, {
    body: {
      name: "Ada Lovelace",
      email: uniqueEmail(type),
      password: PASSWORD,
      address: "1 Main St",
      ...fields,
    },
    headers,
  });

const badRequest = (field: string, description: string) => ({
  code: 3,
  message: description,
  details: [
    {
      "@type": "type.googleapis.com/google.rpc.BadRequest",
      fieldViolations: [{ field, description }],
    },
  ],
});

function assertTokenPair(body: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(body).sort(), ["accessToken", "expiresIn", "refreshToken", "tokenType"]);
  assert.equal(body.tokenType, "Bearer");
  assert.equal(body.expiresIn, 900);
  assert.equal(typeof body.accessToken, "string");
  assert.equal(typeof body.refreshToken, "string");
}

describe("POST /v1/users/register/{userType}", () => {
  for (const type of ["buyer", "seller"]) {
    test(`a ${type} registers and gets tokens for their profile`, async () => {
      const email = uniqueEmail(type);
      const response = await register(type, { email, name: "Grace Hopper", address: "2 Navy Rd" });
      assert.equal(response.status, 200);
      assertTokenPair(response.body);
      const me = await system.api("GET", "/v1/users/me", { token: response.body.accessToken });
      assert.equal(me.status, 200);
      assert.match(me.body.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(me.body, { id: me.body.id, email, name: "Grace Hopper", address: "2 Navy Rd", type });
    });
  }

  test("a duplicate email is 409", async () => {
    const email = uniqueEmail("dup");
    assert.equal((await register("buyer", { email })).status, 200);
    const again = await register("seller", { email });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      code: 6,
      message: "an account with this email already exists",
      details: [],
    });
  });

  test("a bad email, a short password, a missing name: 400 naming the field", async () => {
    const badEmail = await register("buyer", { email: "not-an-email" });
    assert.deepEqual(
      [badEmail.status, badEmail.body],
      [400, badRequest("email", "email: must be an email address")],
    );
    const shortPassword = await register("buyer", { password: "short" });
    assert.deepEqual(
      [shortPassword.status, shortPassword.body],
      [400, badRequest("password", "password: must be at least 8 characters")],
    );
    const noName = await register("buyer", { name: "" });
    assert.deepEqual([noName.status, noName.body], [400, badRequest("name", "name: is required")]);
  });

  test("a userType other than buyer or seller is 400", async () => {
    const response = await register("admin");
    assert.deepEqual(
      [response.status, response.body],
      [400, badRequest("userType", "userType: must be buyer or seller")],
    );
  });

  test("a wrong JSON type is 400 naming the field", async () => {
    const response = await system.api("POST", "/v1/users/register/buyer", { body: { name: 42 } });
    const message = 'invalid value for field "name": expected a string, got 42';
    assert.deepEqual(
      [response.status, response.body],
      [
        400,
        {
          code: 3,
          message,
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.BadRequest",
              fieldViolations: [{ field: "name", description: message }],
            },
          ],
        },
      ],
    );
  });
});

describe("POST /v1/users/login", () => {
  test("the right password returns tokens; snake_case input is accepted too", async () => {
    const email = uniqueEmail("login");
    await register("buyer", { email });
    const response = await system.api("POST", "/v1/users/login", { body: { email, password: PASSWORD } });
    assert.equal(response.status, 200);
    assertTokenPair(response.body);
    const refreshed = await system.api("POST", "/v1/users/refresh", {
      body: { refresh_token: response.body.refreshToken },
    });
    assert.equal(refreshed.status, 200);
    for (const tokens of [response, refreshed]) {
      assert.equal(tokens.headers.get("cache-control"), "no-store", "tokens are never cached");
    }
    const profile = await system.api("GET", "/v1/users/me", {
      headers: { authorization: `Bearer ${response.body.accessToken}` },
    });
    assert.equal(profile.headers.get("cache-control"), null);
  });

  test("a wrong email and a wrong password get the same 401", async () => {
    const email = uniqueEmail("login");
    await register("buyer", { email });
    const wrongPassword = await system.api("POST", "/v1/users/login", {
      body: { email, password: "wrong password" },
    });
    const wrongEmail = await system.api("POST", "/v1/users/login", {
      body: { email: uniqueEmail("nobody"), password: PASSWORD },
    });
    const expected = { code: 16, message: "wrong email or password", details: [] };
    assert.deepEqual([wrongPassword.status, wrongPassword.body], [401, expected]);
    assert.deepEqual([wrongEmail.status, wrongEmail.body], [401, expected]);
  });

  test("failed logins per email are limited (429 with Retry-After); successes are not counted", async () => {
    const email = uniqueEmail("guessed");
    await register("buyer", { email });
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (await system.api("POST", "/v1/users/login", { body: { email, password: PASSWORD } })).status,
        200,
      );
    }
    for (let i = 0; i < 3; i++) {
      const failed = await system.api("POST", "/v1/users/login", { body: { email, password: `guess ${i}` } });
      assert.equal(failed.status, 401);
    }
    const limited = await system.api("POST", "/v1/users/login", { body: { email, password: PASSWORD } });
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get("retry-after") ?? "", /^\d+$/);
    assert.ok(Number(limited.headers.get("retry-after")) > 800);
    assert.equal(limited.body.code, 8);
    assert.match(limited.body.message, /^too many failed logins for this account; try again in \d+ s$/);
    const otherEmail = uniqueEmail("other");
    await register("buyer", { email: otherEmail });
    const other = await system.api("POST", "/v1/users/login", {
      body: { email: otherEmail, password: PASSWORD },
    });
    assert.equal(other.status, 200, "other accounts are not affected");
  });
});

describe("refresh and logout", () => {
  test("refresh rotates; reusing a rotated token revokes the whole family", async () => {
    const { body: first } = await register("buyer");
    const second = await system.api("POST", "/v1/users/refresh", {
      body: { refreshToken: first.refreshToken },
    });
    assert.equal(second.status, 200);
    assertTokenPair(second.body);
    assert.notEqual(second.body.refreshToken, first.refreshToken);
    const reuse = await system.api("POST", "/v1/users/refresh", {
      body: { refreshToken: first.refreshToken },
    });
    assert.deepEqual(
      [reuse.status, reuse.body],
      [
        401,
        { code: 16, message: "refresh token was already used; its session has been revoked", details: [] },
      ],
    );
    const revoked = await system.api("POST", "/v1/users/refresh", {
      body: { refreshToken: second.body.refreshToken },
    });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.code, 16);
  });

  test("logout needs a token and revokes the refresh token", async () => {
    const { body: tokens } = await register("seller");
    const anonymous = await system.api("POST", "/v1/users/logout", {
      body: { refreshToken: tokens.refreshToken },
    });
    assert.deepEqual(
      [anonymous.status, anonymous.body],
      [401, { code: 16, message: "missing bearer access token", details: [] }],
    );
    const logout = await system.api("POST", "/v1/users/logout", {
      token: tokens.accessToken,
      body: { refreshToken: tokens.refreshToken },
    });
    assert.deepEqual([logout.status, logout.body], [200, {}]);
    const refresh = await system.api("POST", "/v1/users/refresh", {
      body: { refreshToken: tokens.refreshToken },
    });
    assert.equal(refresh.status, 401);
    assert.equal(refresh.body.code, 16);
  });
});

describe("GET /v1/users/me and /.well-known/jwks.json", () => {
  test("me needs a valid token", async () => {
    const none = await system.api("GET", "/v1/users/me");
    assert.deepEqual(
      [none.status, none.body],
      [401, { code: 16, message: "missing bearer access token", details: [] }],
    );
    const forged = await system.api("GET", "/v1/users/me", { token: "eyJhbGciOiJub25lIn0.e30." });
    assert.deepEqual(
      [forged.status, forged.body],
      [401, { code: 16, message: "invalid or expired access token", details: [] }],
    );
  });

  test("the published keys verify access tokens (EdDSA, kid, sub, role, iat, exp, iss, aud)", async () => {
    const jwks = await system.api("GET", "/.well-known/jwks.json");
    assert.equal(jwks.status, 200);
    assert.ok(jwks.body.keys.length >= 1);
    for (const key of jwks.body.keys) {
      assert.deepEqual(Object.keys(key).sort(), ["alg", "crv", "kid", "kty", "use", "x"]);
      assert.deepEqual([key.kty, key.crv, key.alg, key.use], ["OKP", "Ed25519", "EdDSA", "sig"]);
    }
    const { body: tokens } = await register("seller");
    const header = decodeProtectedHeader(tokens.accessToken);
    assert.equal(header.alg, "EdDSA");
    const { payload } = await jwtVerify(tokens.accessToken, createLocalJWKSet(jwks.body), {
      issuer: "skyros",
      audience: "skyros",
    });
    assert.equal(payload.role, "seller");
    assert.equal(typeof payload.sub, "string");
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
  });
});

test("x-request-id is echoed and appears in the log lines of the services that handled it", async () => {
  const requestId = `e2e-${randomBytes(6).toString("hex")}`;
  const email = uniqueEmail("trace");
  assert.equal((await register("buyer", { email })).status, 200);
  // A duplicate fails in the user service, which logs failures at info.
  const response = await register("buyer", { email }, { "x-request-id": requestId });
  assert.equal(response.status, 409);
  assert.equal(response.headers.get("x-request-id"), requestId);
  const carrying = (service: "user" | "gateway") =>
    system
      .logs(service)
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.requestId === requestId);
  // Log lines travel through the processes' pipes: give them a moment.
  for (let i = 0; i < 100 && (carrying("user").length === 0 || carrying("gateway").length === 0); i++) {
    await new Promise((done) => setTimeout(done, 20));
  }
  assert.ok(carrying("user").length >= 1, "the user service logged the request id");
  assert.ok(carrying("gateway").length >= 1, "the gateway logged the request id");
  const generated = await system.api("GET", "/healthz");
  assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});
