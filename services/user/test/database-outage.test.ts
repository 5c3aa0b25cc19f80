/**
 * The user service while its database is out of reach: calls fail fast with
 * Unavailable (not Internal), its health says NOT_SERVING for the service
 * while the server stays SERVING (liveness), its metrics say so too, and it
 * serves again on its own once the database is back. The database is a real PostgreSQL reached
 * through a TCP relay the test can cut (refused connections) or freeze (a
 * server that accepts but never answers).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createTcpRelay, type TcpRelay } from "@skyros/kit/tcp-relay";
import {
  createTestDatabase,
  expectRpcError,
  freePort,
  TEST_SERVICE_CREDENTIAL,
  testLogger,
} from "@skyros/kit/testing";
import { readUserConfig } from "../src/config.ts";
import { type RunningUserService, startUserService } from "../src/user-service.ts";

let database: { url: string; drop: () => Promise<void> };
let relay: TcpRelay;
let service: RunningUserService;
let users: ReturnType<typeof createClient<typeof UserService>>;
let health: ReturnType<typeof createClient<typeof Health>>;

before(async () => {
  database = await createTestDatabase("user_outage");
  const direct = new URL(database.url);
  const relayPort = await freePort();
  relay = createTcpRelay(relayPort, { host: direct.hostname, port: Number(direct.port || 5432) });
  await relay.open();
  const relayed = new URL(database.url);
  relayed.hostname = "127.0.0.1";
  relayed.port = String(relayPort);
  const config = readUserConfig({
    USER_GRPC_PORT: "0",
    USER_DATABASE_CHECK_INTERVAL_MS: "100",
    USER_METRICS_PORT: "0",
    SKYROS_SERVICE_CREDENTIAL: TEST_SERVICE_CREDENTIAL,
  });
  service = await startUserService(config, relayed.toString(), testLogger("user"));
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` });
  users = createClient(UserService, transport);
  health = createClient(Health, transport);
});

after(async () => {
  await service?.close();
  await relay?.cut();
  await database?.drop();
});

const statusOf = async (name: string) => (await health.check({ service: name })).status;

/** Waits until the service reports `status`, for at most 10 s. */
async function until(status: Status): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await statusOf(UserService.typeName)) !== status) {
    if (Date.now() > deadline) assert.fail(`still not ${Status[status]} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let emails = 0;
const register = () =>
  users.register({
    userType: "buyer",
    name: "Ada",
    email: `outage${Date.now()}${emails++}@example.com`,
    password: "correct horse",
    address: "",
  });

test("a database that refuses connections: Unavailable, NOT_SERVING, and back on its own", async () => {
  assert.equal((await register()).tokenType, "Bearer");
  assert.equal(await statusOf(UserService.typeName), Status.SERVING);

  await relay.cut();
  const refused = await expectRpcError(register(), Code.Unavailable);
  assert.equal(refused.rawMessage, "service unavailable; try again shortly");
  await until(Status.NOT_SERVING);
  assert.equal(await statusOf(""), Status.SERVING, "the process itself is alive");

  await relay.open();
  await until(Status.SERVING);
  assert.equal((await register()).tokenType, "Bearer");
});

test("a database that stops answering: NOT_SERVING after the checks time out, SERVING when it answers", async () => {
  const before = relay.openConnections;
  relay.freeze();
  try {
    await until(Status.NOT_SERVING);
    assert.equal(await statusOf(""), Status.SERVING);
    // Checks go on failing, but leave no half-closed connection behind each.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.ok(relay.openConnections <= before + 1, `${relay.openConnections} connections, ${before} before`);
  } finally {
    relay.thaw();
  }
  await until(Status.SERVING);
  assert.equal((await register()).tokenType, "Bearer");
});

/** The value of one series in the service's metrics (0 when absent). */
async function metric(series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test("metrics: calls by method and code, their latencies, and whether the database answers", async () => {
  const ok =
    'grpc_server_handled_total{grpc_service="skyros.user.v1.UserService",grpc_method="Register",grpc_code="OK"}';
  const unavailable =
    'grpc_server_handled_total{grpc_service="skyros.user.v1.UserService",grpc_method="Register",grpc_code="Unavailable"}';
  const [okBefore, unavailableBefore] = [await metric(ok), await metric(unavailable)];
  await register();
  assert.equal(await metric(ok), okBefore + 1);
  assert.equal(await metric("skyros_database_up"), 1);
  const timed =
    'grpc_server_handling_seconds_count{grpc_service="skyros.user.v1.UserService",grpc_method="Register",grpc_code="OK"}';
  assert.ok((await metric(timed)) >= 1, "the call's latency is in the histogram");

  await relay.cut();
  try {
    await expectRpcError(register(), Code.Unavailable);
    assert.equal(await metric(unavailable), unavailableBefore + 1);
    await until(Status.NOT_SERVING);
    assert.equal(await metric("skyros_database_up"), 0);
  } finally {
    await relay.open();
  }
  await until(Status.SERVING);
  assert.equal(await metric("skyros_database_up"), 1);
  const notFound = await fetch(`http://127.0.0.1:${service.metricsPort}/`);
  assert.equal(notFound.status, 404);
});
