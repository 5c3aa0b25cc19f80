import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { RetryInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createDatabase } from "@skyros/kit/database";
import { SERVICE_CREDENTIAL_HEADER } from "@skyros/kit/service-credential";
import { createTestDatabase, expectRpcError, TEST_SERVICE_CREDENTIAL, testLogger } from "@skyros/kit/testing";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { readUserConfig } from "../src/config.ts";
import { createLoginFailureStore } from "../src/login-failure-store.ts";
import { hashPassword, verifyPassword } from "../src/passwords.ts";
import { type RunningUserService, startUserService } from "../src/user-service.ts";

let database: { url: string; drop: () => Promise<void> };
let service: RunningUserService;
let users: ReturnType<typeof createClient<typeof UserService>>;
const credential = { [SERVICE_CREDENTIAL_HEADER]: TEST_SERVICE_CREDENTIAL };
const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
let counter = 0;
const uniqueEmail = () => `user${Date.now()}${counter++}@example.com`;

const register = (type: string, email = uniqueEmail(), password = "correct horse") =>
  users.register({ userType: type, name: "Ada", email, password, address: "1 Main St" });

before(async () => {
  database = await createTestDatabase("user_service");
  const config = readUserConfig({ USER_GRPC_PORT: "0", SKYROS_SERVICE_CREDENTIAL: TEST_SERVICE_CREDENTIAL });
  service = await startUserService(config, database.url, testLogger("user"));
  users = createClient(UserService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }));
});

after(async () => {
  await service?.close();
  await database?.drop();
});

describe("Register", () => {
  test("a buyer and a seller get a token pair", async () => {
    for (const type of ["buyer", "seller"]) {
      const tokens = await register(type);
      assert.equal(tokens.tokenType, "Bearer");
      assert.equal(tokens.expiresIn, 900);
      assert.ok(tokens.accessToken.split(".").length === 3);
      assert.ok(tokens.refreshToken.length >= 40);
      const me = await users.getMe({}, auth(tokens.accessToken));
      assert.equal(me.type, type);
      assert.equal(me.name, "Ada");
    }
  });

  test("a duplicate email is AlreadyExists, whatever its case", async () => {
    const email = uniqueEmail();
    await register("buyer", email);
    await expectRpcError(register("seller", email.toUpperCase()), Code.AlreadyExists);
  });

  test("concurrent registrations of one email create exactly one account", async () => {
    const email = uniqueEmail();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => register("buyer", email)));
    const created = results.filter((result) => result.status === "fulfilled");
    assert.equal(created.length, 1);
    for (const result of results) {
      if (result.status === "rejected")
        assert.equal(ConnectError.from(result.reason).code, Code.AlreadyExists);
    }
  });

  test("bad input is InvalidArgument naming the field", async () => {
    await expectRpcError(register("admin"), Code.InvalidArgument, "userType");
    await expectRpcError(register("buyer", "not-an-email"), Code.InvalidArgument, "email");
    await expectRpcError(register("buyer", uniqueEmail(), "short"), Code.InvalidArgument, "password");
    await expectRpcError(
      users.register({
        userType: "buyer",
        name: "  ",
        email: uniqueEmail(),
        password: "long enough",
        address: "",
      }),
      Code.InvalidArgument,
      "name",
    );
    for (const field of ["name", "address"] as const) {
      await expectRpcError(
        users.register({
          userType: "buyer",
          name: "Ada",
          email: uniqueEmail(),
          password: "long enough",
          address: "",
          [field]: "nul\u0000byte",
        }),
        Code.InvalidArgument,
        field,
      );
    }
    await expectRpcError(register("buyer", "a\u0000b@example.com"), Code.InvalidArgument, "email");
  });

  test("a seller needs an address, which their orders ship from; a buyer does not", async () => {
    const withAddress = (userType: string, address: string) =>
      users.register({ userType, name: "Ada", email: uniqueEmail(), password: "long enough", address });
    await expectRpcError(withAddress("seller", " \n "), Code.InvalidArgument, "address");
    assert.equal((await withAddress("buyer", "")).tokenType, "Bearer");
    assert.equal((await withAddress("seller", "1 Main St")).tokenType, "Bearer");
  });

  test("a 1 MB password is refused before any hashing", async () => {
    const started = performance.now();
    await expectRpcError(
      register("buyer", uniqueEmail(), "x".repeat(1024 * 1024)),
      Code.InvalidArgument,
      "password",
    );
    assert.ok(performance.now() - started < 2000);
  });
});

describe("Login", () => {
  test("the right password signs in; a wrong one and an unknown email fail alike", async () => {
    const email = uniqueEmail();
    await register("seller", email);
    const tokens = await users.login({ email: email.toUpperCase(), password: "correct horse" });
    assert.equal((await users.getMe({}, auth(tokens.accessToken))).email, email);
    const wrongPassword = await expectRpcError(
      users.login({ email, password: "wrong horse" }),
      Code.Unauthenticated,
    );
    const unknownEmail = await expectRpcError(
      users.login({ email: uniqueEmail(), password: "correct horse" }),
      Code.Unauthenticated,
    );
    assert.equal(wrongPassword.rawMessage, unknownEmail.rawMessage);
  });

  test("failed logins per email are limited by the service itself, as by the gateway", async () => {
    const email = uniqueEmail();
    await register("buyer", email);
    // Right passwords do not count against the limit.
    for (let i = 0; i < 12; i++) await users.login({ email, password: "correct horse" });
    for (let i = 0; i < 10; i++) {
      await expectRpcError(users.login({ email, password: `wrong ${i}` }), Code.Unauthenticated);
    }
    for (const password of ["wrong again", "correct horse"]) {
      const limited = await expectRpcError(
        users.login({ email: email.toUpperCase(), password }),
        Code.ResourceExhausted,
      );
      assert.match(limited.rawMessage, /^too many failed logins for this account; try again in \d+ s$/);
      const delay = Number(limited.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds);
      assert.ok(delay > 800 && delay <= 900, `retry in ${delay} s`);
    }
    // Another address, with or without an account, is not affected.
    const other = uniqueEmail();
    await register("buyer", other);
    assert.equal((await users.login({ email: other, password: "correct horse" })).tokenType, "Bearer");
  });

  test("concurrent wrong guesses cannot all pass the check: at most the limit reach the password", async () => {
    const email = uniqueEmail();
    await register("buyer", email);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => users.login({ email, password: `guess ${i}` })),
    );
    const codes = outcomes.map((outcome) =>
      outcome.status === "rejected" ? ConnectError.from(outcome.reason).code : "ok",
    );
    assert.equal(codes.filter((code) => code === Code.Unauthenticated).length, 10);
    assert.equal(codes.filter((code) => code === Code.ResourceExhausted).length, 15);
  });

  test("expired windows are swept by later attempts, so the table holds little more than live ones", async () => {
    const sql = createDatabase(database.url, { maxConnections: 1, applicationName: "login-failures-test" });
    try {
      const failures = createLoginFailureStore(sql);
      for (let i = 0; i < 30; i++) await failures.countAttempt(`sweep-${i}@example.com`, 1_000);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (let i = 0; i < 3; i++) await failures.countAttempt(`sweeper-${i}@example.com`, 60_000);
      const [row] = await sql<{ expired: number }[]>`
        select count(*)::int as expired from login_failures where window_end <= now()`;
      assert.equal(row?.expired, 0);
    } finally {
      await sql.end();
    }
  });

  test("concurrent attempts over expired windows neither deadlock nor fail", async () => {
    const sql = createDatabase(database.url, { maxConnections: 8, applicationName: "login-failures-race" });
    try {
      const failures = createLoginFailureStore(sql);
      const emails = Array.from({ length: 40 }, (_, i) => `race-${i}-${Date.now()}@example.com`);
      for (let round = 0; round < 3; round++) {
        await Promise.all(emails.map((email) => failures.countAttempt(email, 200)));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const counted = await Promise.all(emails.map((email) => failures.countAttempt(email, 60_000)));
      assert.ok(
        counted.every(({ failures: n }) => n === 1),
        "each expired window began again",
      );
    } finally {
      await sql.end();
    }
  });

  test("a password set before NFKC hashing still signs in as typed, and is rehashed in NFKC form", async () => {
    const email = uniqueEmail();
    await register("buyer", email);
    const typed = "cafe\u0301-pa\u0308sswo\u0308rd";
    const sql = createDatabase(database.url, { maxConnections: 1, applicationName: "nfkc-migration" });
    try {
      await sql`update users set password_hash = ${await hashPassword(typed)} where lower(email) = lower(${email})`;
      assert.equal((await users.login({ email, password: typed })).tokenType, "Bearer");
      const [row] = await sql<{ password_hash: string }[]>`
        select password_hash from users where lower(email) = lower(${email})`;
      assert.equal(await verifyPassword(typed.normalize("NFKC"), row?.password_hash ?? ""), true, "rehashed");
      assert.equal((await users.login({ email, password: typed.normalize("NFC") })).tokenType, "Bearer");
    } finally {
      await sql.end();
    }
  });

  test("a password is one password however its characters are composed", async () => {
    const email = uniqueEmail();
    const composed = "caf\u00e9-p\u00e4ssw\u00f6rd";
    await register("buyer", email, composed);
    for (const typed of [composed, composed.normalize("NFD"), "cafe\u0301-pa\u0308sswo\u0308rd"]) {
      assert.equal((await users.login({ email, password: typed })).tokenType, "Bearer", typed);
    }
    await expectRpcError(users.login({ email, password: "cafe-passwort" }), Code.Unauthenticated);
    // Compatibility forms too: a full-width "Ａ" is an "A".
    const wide = uniqueEmail();
    await register("buyer", wide, "\uff21\uff22\uff23-horse-staple");
    assert.equal((await users.login({ email: wide, password: "ABC-horse-staple" })).tokenType, "Bearer");
  });
});

describe("Refresh and logout", () => {
  test("refresh rotates: the old token stops working, the new one works", async () => {
    const first = await register("buyer");
    const second = await users.refresh({ refreshToken: first.refreshToken });
    assert.notEqual(second.refreshToken, first.refreshToken);
    await users.getMe({}, auth(second.accessToken));
    const third = await users.refresh({ refreshToken: second.refreshToken });
    assert.ok(third.accessToken);
  });

  test("reusing a rotated token revokes the whole family", async () => {
    const first = await register("buyer");
    const second = await users.refresh({ refreshToken: first.refreshToken });
    await expectRpcError(users.refresh({ refreshToken: first.refreshToken }), Code.Unauthenticated);
    await expectRpcError(users.refresh({ refreshToken: second.refreshToken }), Code.Unauthenticated);
  });

  test("concurrent refreshes of one token: one wins, and the reuse revokes the family", async () => {
    const first = await register("buyer");
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => users.refresh({ refreshToken: first.refreshToken })),
    );
    assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
  });

  test("logout revokes the refresh token, and needs an access token", async () => {
    const tokens = await register("buyer");
    await expectRpcError(users.logout({ refreshToken: tokens.refreshToken }), Code.Unauthenticated);
    await users.logout({ refreshToken: tokens.refreshToken }, auth(tokens.accessToken));
    await expectRpcError(users.refresh({ refreshToken: tokens.refreshToken }), Code.Unauthenticated);
  });

  test("an unknown refresh token is Unauthenticated, even an access token sent in its place", async () => {
    const tokens = await register("buyer");
    for (const refreshToken of ["nope", tokens.accessToken]) {
      const error = await expectRpcError(users.refresh({ refreshToken }), Code.Unauthenticated);
      assert.equal(error.rawMessage, "refresh token is invalid or expired");
    }
    await expectRpcError(users.refresh({ refreshToken: "" }), Code.InvalidArgument, "refreshToken");
    // Logging out an unknown token is a no-op, whatever it looks like.
    await users.logout({ refreshToken: tokens.accessToken }, auth(tokens.accessToken));
    assert.ok((await users.refresh({ refreshToken: tokens.refreshToken })).accessToken);
  });
});

describe("GetMe", () => {
  test("needs a valid access token", async () => {
    await expectRpcError(users.getMe({}), Code.Unauthenticated);
    await expectRpcError(users.getMe({}, auth("not.a.jwt")), Code.Unauthenticated);
    const tokens = await register("buyer");
    const [header, payload] = tokens.accessToken.split(".");
    const forged = `${header}.${payload}.${"A".repeat(86)}`;
    await expectRpcError(users.getMe({}, auth(forged)), Code.Unauthenticated);
  });
});

describe("Access tokens", () => {
  test("verify with the published public key alone, and carry the documented claims", async () => {
    const tokens = await register("seller");
    const jwks = await users.getJwks({});
    assert.equal(jwks.keys.length, 1);
    const key = jwks.keys[0];
    assert.equal(key?.kty, "OKP");
    assert.equal(key?.crv, "Ed25519");
    assert.equal((key as unknown as Record<string, unknown>).d, undefined);
    const keySet = createLocalJWKSet({ keys: jwks.keys.map((jwk) => ({ ...jwk })) });
    const { payload, protectedHeader } = await jwtVerify(tokens.accessToken, keySet, {
      issuer: "skyros",
      audience: "skyros",
    });
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.equal(protectedHeader.kid, decodeProtectedHeader(tokens.accessToken).kid);
    assert.equal(payload.role, "seller");
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
    assert.ok(typeof payload.sub === "string");
  });
});

describe("GetUsers (internal)", () => {
  test("requires the service credential", async () => {
    await expectRpcError(users.getUsers({ ids: [] }), Code.Unauthenticated);
    await expectRpcError(
      users.getUsers({ ids: [] }, { headers: { [SERVICE_CREDENTIAL_HEADER]: "wrong" } }),
      Code.PermissionDenied,
    );
  });

  test("returns the users asked for, in one call", async () => {
    const a = await users.getMe({}, auth((await register("buyer")).accessToken));
    const b = await users.getMe({}, auth((await register("seller")).accessToken));
    const { users: found } = await users.getUsers(
      { ids: [a.id, b.id, "00000000-0000-4000-8000-000000000000"] },
      { headers: credential },
    );
    assert.deepEqual(found.map((user) => user.id).sort(), [a.id, b.id].sort());
    await expectRpcError(
      users.getUsers({ ids: ["nope"] }, { headers: credential }),
      Code.InvalidArgument,
      "ids",
    );
  });
});
