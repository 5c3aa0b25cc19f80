/**
 * The gRPC server at the protocol level: what a client that is not ours
 * (grpc-js, raw HTTP/2) sees, deadlines and cancellation reaching the
 * handler's signal, streaming health, and a graceful close.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { createRequire } from "node:module";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { BadRequestSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { StatusSchema } from "@skyros/contracts/google/rpc/status_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { invalidArgument } from "../src/errors.ts";
import { createGrpcHttp2Transport } from "../src/grpc-http2-transport.ts";
import { type GrpcServer, startGrpcServer } from "../src/grpc-server.ts";
import { ServingStatus } from "../src/health.ts";
import { testLogger } from "../src/testing.ts";

const root = join(import.meta.dirname, "../../..");
const googleProtos = dirname(createRequire(import.meta.url).resolve("google-proto-files/package.json"));

let server: GrpcServer;
let baseUrl: string;
/** Each call to getMe parks here until its signal aborts, which resolves with the reason. */
let aborted: Promise<unknown> = Promise.resolve();
let abortedWith: (reason: unknown) => void = () => {};
let getMeStarted: () => void = () => {};

function expectAbort(): { started: Promise<void>; reason: Promise<unknown> } {
  const started = new Promise<void>((resolve) => {
    getMeStarted = resolve;
  });
  aborted = new Promise((resolve) => {
    abortedWith = resolve;
  });
  return { started, reason: aborted };
}

before(async () => {
  server = await startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    logger: testLogger("protocol-test"),
    serviceCredential: "protocol-test-credential",
    maxTimeoutMs: 5_000,
    routes: (router) =>
      router.service(UserService, {
        getMe(_request, context) {
          getMeStarted();
          return new Promise((_resolve, reject) => {
            context.signal.addEventListener("abort", () => {
              abortedWith(context.signal.reason);
              reject(context.signal.reason);
            });
          });
        },
        login({ email }) {
          throw invalidArgument("email", `must be an email address, not ${email}`);
        },
        async register({ name }) {
          await sleep(300);
          return { accessToken: `welcome ${name}` };
        },
      }),
  });
  server.health.setAll(ServingStatus.SERVING);
  baseUrl = `http://127.0.0.1:${server.port}`;
});

after(() => server?.close(100));

/** One raw HTTP/2 request; resolves with the response headers, trailers and body. */
function rawCall(headers: http2.OutgoingHttpHeaders, body: Buffer) {
  return new Promise<{
    headers: http2.IncomingHttpHeaders;
    trailers: http2.IncomingHttpHeaders;
    body: Buffer;
  }>((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", te: "trailers", ...headers });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      responseHeaders = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("close", () => {
      session.close();
      resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

const EMPTY_FRAME = Buffer.from([0, 0, 0, 0, 0]);

describe("gRPC protocol", () => {
  test("an unknown method is UNIMPLEMENTED, in a trailers-only response", async () => {
    const response = await rawCall(
      { ":path": "/skyros.user.v1.UserService/Nope", "content-type": "application/grpc" },
      EMPTY_FRAME,
    );
    assert.equal(response.headers[":status"], 200);
    assert.equal(response.headers["grpc-status"], String(Code.Unimplemented));
  });

  test("a request that is not gRPC is refused with HTTP 415", async () => {
    const response = await rawCall(
      { ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json" },
      Buffer.from("{}"),
    );
    assert.equal(response.headers[":status"], 415);
  });

  test("a message over the size limit is ResourceExhausted", async () => {
    const prefix = Buffer.from([0, 0, 0, 0, 0]);
    prefix.writeUInt32BE(5 * 1024 * 1024, 1);
    const response = await rawCall(
      { ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc" },
      Buffer.concat([prefix, Buffer.alloc(1024)]),
    );
    const status = response.headers["grpc-status"] ?? response.trailers["grpc-status"];
    assert.equal(status, String(Code.ResourceExhausted));
    // A whole oversize message from a Connect client gets the same answer.
    const users = createClient(UserService, createGrpcTransport({ baseUrl }));
    await assert.rejects(
      users.register({ name: "x".repeat(5 * 1024 * 1024) }),
      (error) => ConnectError.from(error).code === Code.ResourceExhausted,
    );
  });

  test("the deadline from grpc-timeout aborts the handler's signal and answers DeadlineExceeded", async () => {
    const { reason } = expectAbort();
    const response = await rawCall(
      {
        ":path": "/skyros.user.v1.UserService/GetMe",
        "content-type": "application/grpc",
        "grpc-timeout": "150m",
      },
      EMPTY_FRAME,
    );
    assert.equal(ConnectError.from(await reason).code, Code.DeadlineExceeded);
    assert.equal(
      response.headers["grpc-status"] ?? response.trailers["grpc-status"],
      String(Code.DeadlineExceeded),
    );
  });

  test("a client that cancels aborts the handler's signal", async () => {
    const { started, reason } = expectAbort();
    const users = createClient(UserService, createGrpcTransport({ baseUrl }));
    const controller = new AbortController();
    const call = users.getMe({}, { signal: controller.signal });
    await started;
    controller.abort();
    await assert.rejects(call);
    assert.equal(ConnectError.from(await reason).code, Code.Canceled);
  });

  test("grpc-js sees the code, the message and the BadRequest details", async () => {
    const definition = protoLoader.loadSync(["skyros/user/v1/user.proto"], {
      includeDirs: [join(root, "proto"), googleProtos],
    });
    // biome-ignore lint/suspicious/noExplicitAny: grpc-js clients are untyped when loaded dynamically
    const loaded = grpc.loadPackageDefinition(definition) as any;
    const client = new loaded.skyros.user.v1.UserService(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        client.Login({ email: "ümlaut 100%" }, (e: grpc.ServiceError) => resolve(e)),
      );
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(error.details, "email: must be an email address, not ümlaut 100%");
      const bin = error.metadata.get("grpc-status-details-bin")[0] as Buffer;
      const status = fromBinary(StatusSchema, bin);
      assert.equal(status.code, Code.InvalidArgument);
      const detail = status.details[0] && anyUnpack(status.details[0], BadRequestSchema);
      assert.equal(detail?.fieldViolations[0]?.field, "email");
    } finally {
      client.close();
    }
    // And a Connect client finds the same details.
    const users = createClient(UserService, createGrpcTransport({ baseUrl }));
    await assert.rejects(users.login({ email: "x" }), (error) => {
      const connectError = ConnectError.from(error);
      return connectError.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field === "email";
    });
  });

  test("health Watch streams the current status, then each change", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    const controller = new AbortController();
    const seen: HealthCheckResponse_ServingStatus[] = [];
    const watching = (async () => {
      for await (const response of health.watch(
        { service: UserService.typeName },
        { signal: controller.signal },
      )) {
        seen.push(response.status);
        if (seen.length === 1) server.health.set(UserService.typeName, ServingStatus.NOT_SERVING);
        if (seen.length === 2) break;
      }
    })();
    await watching;
    controller.abort();
    assert.deepEqual(seen, [
      HealthCheckResponse_ServingStatus.SERVING,
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    ]);
    server.health.set(UserService.typeName, ServingStatus.SERVING);
  });
});

/** A server whose Register welcomes by name after `delayMs`. */
const startWelcomingServer = (delayMs: number, options: { maxConnectionAgeMs?: number } = {}) =>
  startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    logger: testLogger("protocol-test"),
    serviceCredential: "protocol-test-credential",
    ...options,
    routes: (router) =>
      router.service(UserService, {
        async register({ name }) {
          await sleep(delayMs);
          return { accessToken: `welcome ${name}` };
        },
      }),
  });

test("close() lets an in-flight call finish, then refuses new ones", async () => {
  const closing = await startWelcomingServer(300);
  const users = createClient(
    UserService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${closing.port}` }),
  );
  const call = users.register({ name: "Ada" });
  await sleep(50);
  const closed = closing.close(5_000);
  assert.equal((await call).accessToken, "welcome Ada");
  await closed;
  await assert.rejects(users.register({ name: "late" }));
});

test("connections past their age are asked to go away; the kit's client moves to new ones without a failed call", async () => {
  const aging = await startWelcomingServer(20, { maxConnectionAgeMs: 100 });
  // A pass-through proxy in front of the server counts the client's connections.
  let connections = 0;
  const proxy = net.createServer((inbound) => {
    connections++;
    const outbound = net.connect(aging.port, "127.0.0.1");
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  const { port } = proxy.address() as net.AddressInfo;
  const transport = createGrpcHttp2Transport({ baseUrl: `http://127.0.0.1:${port}` });
  const users = createClient(UserService, transport);
  try {
    // Calls keep going, several at a time, across several of the connection's lifetimes.
    const started = Date.now();
    let answered = 0;
    while (Date.now() - started < 700) {
      const batch = await Promise.all(["a", "b", "c"].map((name) => users.register({ name })));
      assert.deepEqual(
        batch.map((response) => response.accessToken),
        ["welcome a", "welcome b", "welcome c"],
      );
      answered += batch.length;
    }
    assert.ok(answered >= 30, `only ${answered} calls`);
    assert.ok(connections >= 4, `only ${connections} connections in 700 ms`);
  } finally {
    transport.close();
    proxy.close();
    await aging.close();
  }
});
