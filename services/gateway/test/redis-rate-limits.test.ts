/**
 * The rate limits shared through Redis: replicas count together, the stored
 * keys hold no addresses in the clear, and a Redis crash leaves the limits in
 * force (in each replica's memory) without failing a request.
 */
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { LoginRequestSchema, UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { GrpcServer } from "@skyros/kit/grpc-server";
import type { Redis } from "ioredis";
import { type AuthLimits, createAuthLimits } from "../src/auth-limits.ts";
import type { RunningGateway } from "../src/gateway.ts";
import { connectRateLimitRedis, createRedisCounterStore } from "../src/redis-counter-store.ts";
import { buildRoutes, type Route } from "../src/route-table.ts";
import { startLibraryServer } from "./library-server.ts";
import { call, createTestTokens, startTestGateway, type TestTokens } from "./test-gateway.ts";
import { startTestRedis, type TestRedis } from "./test-redis.ts";

let redis: TestRedis;
let library: GrpcServer;
let tokens: TestTokens;
const clients: Redis[] = [];

before(async () => {
  redis = await startTestRedis();
  library = await startLibraryServer();
  tokens = await createTestTokens();
});

after(async () => {
  for (const client of clients) client.disconnect();
  await library?.close();
  await redis?.stop();
});

/** A client as a replica has one, ready to count. */
async function client(): Promise<Redis> {
  const connected = connectRateLimitRedis(redis.url, () => {});
  clients.push(connected);
  if (connected.status !== "ready") await new Promise((resolve) => connected.once("ready", resolve));
  return connected;
}

const freshPrefix = () => `test-${randomUUID()}:`;

test("replicas count one subject together, atomically, in windows that expire", async () => {
  const prefix = freshPrefix();
  const [one, two] = [
    createRedisCounterStore(await client(), prefix),
    createRedisCounterStore(await client(), prefix),
  ];
  const counts = await Promise.all(
    Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? one : two).increment("burst", "10.0.0.1", 60_000)),
  );
  assert.deepEqual(
    counts.map((count) => count.count).sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i + 1),
    "every hit counted once",
  );
  await Promise.all(Array.from({ length: 60 }, () => one.decrement("burst", "10.0.0.1")));
  assert.equal((await two.increment("burst", "10.0.0.1", 60_000)).count, 1, "taken back, never below zero");
  assert.equal((await one.increment("burst", "10.0.0.2", 60_000)).count, 1, "subjects apart");

  const first = await one.increment("short", "ada@example.com", 1_000);
  assert.equal(first.count, 1);
  assert.ok(first.resetInMs > 0 && first.resetInMs <= 1_000, String(first.resetInMs));
  assert.equal((await two.increment("short", "ada@example.com", 1_000)).count, 2);
  await sleep(1_100);
  await two.decrement("short", "ada@example.com");
  assert.equal((await one.increment("short", "ada@example.com", 1_000)).count, 1, "a new window");
});

test("stored keys name the limit but hold no address in the clear", async () => {
  const prefix = freshPrefix();
  const inspector = await client();
  const store = createRedisCounterStore(inspector, prefix);
  await store.increment("failed-login", "ada@example.com", 60_000);
  await store.increment("sign-in", "203.0.113.9", 60_000);
  const keys = (await inspector.keys(`${prefix}*`)).sort();
  assert.equal(keys.length, 2);
  const digest = (subject: string) => createHash("sha256").update(subject).digest("base64url");
  assert.deepEqual(keys, [
    `${prefix}ratelimit:failed-login:${digest("ada@example.com")}`,
    `${prefix}ratelimit:sign-in:${digest("203.0.113.9")}`,
  ]);
  for (const key of keys) {
    assert.ok(!key.includes("ada@example.com") && !key.includes("203.0.113.9"), key);
  }
});

const login = buildRoutes([{ name: "user", services: [UserService] }]).find(
  (route) => route.method.name === "Login",
) as Route;

/** The sign-in limits of two replicas sharing the test Redis, `maxFailures` failed logins each window. */
async function twoReplicasLimitingLogins(maxFailures: number): Promise<[AuthLimits, AuthLimits]> {
  const prefix = freshPrefix();
  const config = {
    failedLoginLimit: { max: maxFailures, windowMs: 60_000 },
    authPerAddressLimit: { max: 1_000, windowMs: 60_000 },
  };
  return [
    createAuthLimits(config, createRedisCounterStore(await client(), prefix)),
    createAuthLimits(config, createRedisCounterStore(await client(), prefix)),
  ];
}

test("failed logins counted by one replica lock the account on another", async () => {
  const [one, two] = await twoReplicasLimitingLogins(2);
  const request = create(LoginRequestSchema, { email: "grace@example.com", password: "wrong" });
  const wrongPassword = new ConnectError("wrong email or password", Code.Unauthenticated);
  for (const replica of [one, two]) {
    await replica.admit(login, request, "10.0.0.1");
    await replica.record(login, request, wrongPassword);
  }
  for (const replica of [one, two]) {
    await assert.rejects(() => replica.admit(login, request, "10.0.0.7"), {
      httpStatus: 429,
      message: /^too many failed logins for this account; try again in \d+ s$/,
    });
  }
});

test("concurrent guesses on two replicas: no more get through than the limit", async () => {
  const replicas = await twoReplicasLimitingLogins(3);
  const request = create(LoginRequestSchema, { email: "mallory@example.com", password: "guess" });
  const admitted = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) => (replicas[i % 2] as AuthLimits).admit(login, request, "10.0.0.9")),
  );
  assert.equal(admitted.filter((result) => result.status === "fulfilled").length, 3);
});

/** Two gateways sharing the test Redis, with a general limit of 3 per address. */
async function twoGateways(): Promise<[RunningGateway, RunningGateway]> {
  const env = {
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: freshPrefix(),
    GATEWAY_RATE_LIMIT_GENERAL_MAX: "3",
  };
  const libraryUrl = `http://127.0.0.1:${library.port}`;
  return [await startTestGateway(libraryUrl, tokens, env), await startTestGateway(libraryUrl, tokens, env)];
}

test("the general limit holds across gateway replicas", async () => {
  const [one, two] = await twoGateways();
  try {
    assert.equal((await call(one, "GET", "/v1/books/b1")).status, 200);
    assert.equal((await call(two, "GET", "/v1/books/b1")).status, 200);
    assert.equal((await call(one, "GET", "/v1/books/b1")).status, 200);
    const over = await call(two, "GET", "/v1/books/b1");
    assert.equal(over.status, 429, "the fourth request, the first on its replica past the shared limit");
    assert.match(over.headers.get("retry-after") ?? "", /^\d+$/);
    assert.equal(over.body.code, 8);
  } finally {
    await one.close();
    await two.close();
  }
});

test("when Redis crashes the limits hold in memory, no request fails, and Redis takes over again", async () => {
  const [one, two] = await twoGateways();
  const inspector = await client();
  try {
    assert.equal((await call(one, "GET", "/v1/books/b1")).status, 200);
    assert.equal((await call(two, "GET", "/v1/books/b1")).status, 200);

    await redis.kill();
    // Each replica now counts on its own, from zero: three more each, then 429.
    for (const gateway of [one, two]) {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(gateway, "GET", "/v1/books/b1")).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    }

    await redis.restart();
    // The replica reconnects on its own; until it does, its memory keeps counting
    // (429 here). Then the new, empty server counts again from zero.
    const deadline = Date.now() + 10_000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      await sleep(100);
      status = (await call(one, "GET", "/v1/books/b1")).status;
    }
    assert.equal(status, 200);
    // The inspector reconnects on its own schedule, and queues nothing meanwhile.
    while (inspector.status !== "ready" && Date.now() < deadline) await sleep(50);
    assert.equal((await inspector.keys("*ratelimit:general:*")).length, 1, "counted in Redis");
  } finally {
    await one.close();
    await two.close();
  }
});
