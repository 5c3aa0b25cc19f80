import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { invalidArgument } from "../src/errors.ts";
import { createServiceClient, createServiceTransport } from "../src/grpc-client.ts";
import { type GrpcServer, startGrpcServer } from "../src/grpc-server.ts";
import { ServingStatus } from "../src/health.ts";
import { createLogger } from "../src/logger.ts";
import { currentRequestId, runInRequestContext } from "../src/request-context.ts";

const CREDENTIAL = "kit-test-credential-0123456789";
const lines: Record<string, unknown>[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});
let server: GrpcServer;
let baseUrl: string;
let seenRequestIds: (string | undefined)[] = [];

before(async () => {
  const logger = createLogger({ service: "kit-test", level: "debug", destination });
  server = await startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    serviceCredential: CREDENTIAL,
    routes: (router) =>
      router.service(UserService, {
        getMe() {
          seenRequestIds.push(currentRequestId());
          throw new Error('duplicate key value violates unique constraint "users_pkey" on host db-7');
        },
        login() {
          throw invalidArgument("email", "must be an email address");
        },
        getUsers() {
          seenRequestIds.push(currentRequestId());
          return { users: [] };
        },
        refresh() {
          throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.9:5432"), { code: "ECONNREFUSED" });
        },
        async register(_request, context) {
          // Ends when the call does (its deadline), not 5 s later.
          await sleep(5_000, undefined, { signal: context.signal });
          return {};
        },
      }),
  });
  baseUrl = `http://127.0.0.1:${server.port}`;
});

after(() => server?.close());

const users = () => createClient(UserService, createGrpcTransport({ baseUrl }));

describe("gRPC server", () => {
  test("health is NOT_SERVING until set, then SERVING; unknown services are NotFound", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    assert.equal((await health.check({})).status, HealthCheckResponse_ServingStatus.NOT_SERVING);
    server.health.setAll(ServingStatus.SERVING);
    assert.equal((await health.check({})).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(
      (await health.check({ service: UserService.typeName })).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
    await assert.rejects(health.check({ service: "nope.v1.Nope" }), (error) => {
      return ConnectError.from(error).code === Code.NotFound;
    });
  });

  test("an unexpected error is a bare Internal; its cause is logged with the request id", async () => {
    seenRequestIds = [];
    await assert.rejects(users().getMe({}, { headers: { "x-request-id": "req-masking-1" } }), (error) => {
      const connectError = ConnectError.from(error);
      assert.equal(connectError.code, Code.Internal);
      assert.equal(connectError.rawMessage, "internal error");
      return true;
    });
    assert.deepEqual(seenRequestIds, ["req-masking-1"]);
    const logged = lines.find((line) => line.msg === "unexpected error");
    assert.equal(logged?.requestId, "req-masking-1");
    assert.match(JSON.stringify(logged?.err), /users_pkey/);
  });

  test("a database out of reach is Unavailable, logged as a warning naming the cause", async () => {
    await assert.rejects(
      users().refresh({ refreshToken: "t" }, { headers: { "x-request-id": "req-db-down-1" } }),
      (error) => ConnectError.from(error).code === Code.Unavailable,
    );
    const logged = lines.find(
      (line) => line.requestId === "req-db-down-1" && line.msg === "database unavailable",
    );
    assert.equal(logged?.level, 40);
    assert.match(JSON.stringify(logged?.err), /ECONNREFUSED/);
    assert.equal(
      lines.some((line) => line.requestId === "req-db-down-1" && line.msg === "unexpected error"),
      false,
    );
  });

  test("a domain error keeps its code and names the field", async () => {
    await assert.rejects(users().login({ email: "x", password: "y" }), (error) => {
      const connectError = ConnectError.from(error);
      assert.equal(connectError.code, Code.InvalidArgument);
      assert.equal(connectError.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field, "email");
      return true;
    });
  });

  test("internal RPCs need the service credential; the kit client sends it with the request id", async () => {
    await assert.rejects(
      users().getUsers({ ids: [] }),
      (error) => ConnectError.from(error).code === Code.Unauthenticated,
    );
    seenRequestIds = [];
    const client = createServiceClient(
      UserService,
      createServiceTransport({ baseUrl, timeoutMs: 1000, credential: CREDENTIAL }),
    );
    await runInRequestContext({ requestId: "req-internal-7" }, () => client.getUsers({ ids: [] }));
    assert.deepEqual(seenRequestIds, ["req-internal-7"]);
  });

  test("a call past its deadline is DeadlineExceeded", async () => {
    const client = createServiceClient(UserService, createServiceTransport({ baseUrl, timeoutMs: 200 }));
    await assert.rejects(
      client.register({}),
      (error) => ConnectError.from(error).code === Code.DeadlineExceeded,
    );
  });
});
