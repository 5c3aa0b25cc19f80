import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { create, type DescMethod, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { BadRequestSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { StatusSchema } from "@skyros/contracts/google/rpc/status_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { TokenPairSchema, UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { encodeFrame } from "../src/grpc-framing.ts";
import { createGrpcHttp2Transport, type GrpcHttp2Transport } from "../src/grpc-http2-transport.ts";
import { REQUEST_ID_HEADER, runInRequestContext } from "../src/request-context.ts";
import { SERVICE_CREDENTIAL_HEADER } from "../src/service-credential.ts";
import { expectRpcError, freePort } from "../src/testing.ts";

const CREDENTIAL = "transport-test-credential";
const LARGE = "x".repeat(1024 * 1024);
const BAD_EMAIL = "email: must be an email address (é, 100%)";

/** What every test server does, whatever implements it. */
interface Seen {
  readonly requestId: string | undefined;
  readonly credential: string | undefined;
}
interface TestServer {
  readonly port: number;
  readonly seen: Seen[];
  /** Connections accepted so far (undefined when the server cannot tell). */
  readonly sessions: number | undefined;
  /** Drops every connection at once, as a crashed process would. */
  kill(): Promise<void>;
}

/** Waits up to `ms`, or less when the call is cancelled. */
const slow = (ms: number, onCancel: (stop: () => void) => void) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    onCancel(() => {
      clearTimeout(timer);
      resolve();
    });
  });

async function startConnect(port: number): Promise<TestServer> {
  const seen: Seen[] = [];
  const note = (context: HandlerContext) =>
    seen.push({
      requestId: context.requestHeader.get(REQUEST_ID_HEADER) ?? undefined,
      credential: context.requestHeader.get(SERVICE_CREDENTIAL_HEADER) ?? undefined,
    });
  const handler = connectNodeAdapter({
    grpc: true,
    grpcWeb: false,
    connect: false,
    routes: (router) =>
      router
        .service(Health, {
          async *watch() {
            yield { status: HealthCheckResponse_ServingStatus.SERVING };
          },
        })
        .service(UserService, {
          refresh(request, context) {
            note(context);
            return { accessToken: request.refreshToken };
          },
          getMe: () => ({ name: LARGE }),
          login() {
            throw new ConnectError(BAD_EMAIL, Code.InvalidArgument, undefined, [
              {
                desc: BadRequestSchema,
                value: { fieldViolations: [{ field: "email", description: "bad" }] },
              },
            ]);
          },
          async register(_request, context) {
            await slow(10_000, (stop) => context.signal.addEventListener("abort", stop));
            return {};
          },
        }),
  });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  let accepted = 0;
  server.on("session", (session) => {
    accepted++;
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    seen,
    get sessions() {
      return accepted;
    },
    async kill() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}

/** A grpc-js service definition for `methods`, with protobuf-es doing the (de)serializing. */
function grpcJsDefinition(methods: readonly DescMethod[]): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of methods) {
    definition[method.localName] = {
      path: `/${method.parent.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message: Message) => Buffer.from(toBinary(method.input, message)),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (message: Message) => Buffer.from(toBinary(method.output, message)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
    };
  }
  return definition;
}

async function startGrpcJs(port: number): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = new grpc.Server();
  const m = UserService.method;
  type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
  type Callback = grpc.sendUnaryData<unknown>;
  const first = (call: Call, name: string) => call.metadata.get(name)[0]?.toString();
  server.addService(grpcJsDefinition([m.refresh, m.getMe, m.login, m.register]), {
    refresh(call: Call, callback: Callback) {
      seen.push({
        requestId: first(call, REQUEST_ID_HEADER),
        credential: first(call, SERVICE_CREDENTIAL_HEADER),
      });
      callback(null, create(TokenPairSchema, { accessToken: call.request.refreshToken as string }));
    },
    getMe: (_call: Call, callback: Callback) => callback(null, create(m.getMe.output, { name: LARGE })),
    login(_call: Call, callback: Callback) {
      const metadata = new grpc.Metadata();
      const status = create(StatusSchema, {
        code: Code.InvalidArgument,
        message: BAD_EMAIL,
        details: [
          anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: "email" }] })),
        ],
      });
      metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
      callback({ code: grpc.status.INVALID_ARGUMENT, details: BAD_EMAIL, metadata });
    },
    async register(call: Call, callback: Callback) {
      await slow(10_000, (stop) => call.on("cancelled", stop));
      callback(null, create(m.register.output, {}));
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) =>
      error ? reject(error) : resolve(actual),
    ),
  );
  return {
    port: bound,
    seen,
    sessions: undefined,
    async kill() {
      server.forceShutdown();
    },
  };
}

for (const [name, start] of [
  ["Connect server", startConnect],
  ["grpc-js server", startGrpcJs],
] as const) {
  describe(`gRPC transport, against a ${name}`, () => {
    let server: TestServer;
    let transport: GrpcHttp2Transport;
    const client = () => createClient(UserService, transport);

    before(async () => {
      server = await start(await freePort());
      transport = createGrpcHttp2Transport({
        baseUrl: `http://127.0.0.1:${server.port}`,
        defaultTimeoutMs: 5_000,
        credential: CREDENTIAL,
        pingIntervalMs: 30_000,
      });
    });
    after(async () => {
      transport?.close();
      await server?.kill();
    });

    test("a call succeeds, carrying the request id and the service credential", async () => {
      const response = await runInRequestContext({ requestId: "req-42" }, () =>
        client().refresh({ refreshToken: "echo" }),
      );
      assert.equal(response.accessToken, "echo");
      assert.deepEqual(server.seen.at(-1), { requestId: "req-42", credential: CREDENTIAL });
    });

    test("the gateway's direct transport.unary call returns the message and headers", async () => {
      const response = await transport.unary(
        UserService.method.refresh,
        undefined,
        1_000,
        { "x-extra": "1" },
        {
          refreshToken: "direct",
        },
      );
      assert.equal(response.stream, false);
      assert.equal(response.service, UserService);
      assert.equal(response.message.accessToken, "direct");
      assert.match(response.header.get("content-type") ?? "", /^application\/grpc/);
      assert.equal(response.trailer.get("grpc-status"), "0");
    });

    test("an error keeps its code, its percent-decoded message and its BadRequest details", async () => {
      const error = await expectRpcError(client().login({}), Code.InvalidArgument, "email");
      assert.equal(error.rawMessage, BAD_EMAIL);
    });

    test("a call past its deadline is DeadlineExceeded, and does not wait for the server", async () => {
      const started = performance.now();
      await expectRpcError(client().register({}, { timeoutMs: 100 }), Code.DeadlineExceeded);
      assert.ok(performance.now() - started < 1_000);
    });

    test("an aborted call is Canceled, whether aborted before or during the call", async () => {
      await expectRpcError(client().register({}, { signal: AbortSignal.abort() }), Code.Canceled);
      const controller = new AbortController();
      const call = client().register({}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expectRpcError(call, Code.Canceled);
    });

    test("50 concurrent calls are each answered, on one connection where the server counts them", async () => {
      const before = server.sessions;
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => client().refresh({ refreshToken: `call-${i}` })),
      );
      assert.deepEqual(
        responses.map((response) => response.accessToken),
        Array.from({ length: 50 }, (_, i) => `call-${i}`),
      );
      // grpc-js does not tell its connections; the Connect server does.
      if (before !== undefined) assert.equal(server.sessions, before);
    });

    test("a 1 MiB message goes both ways, across many DATA chunks", async () => {
      assert.equal((await client().getMe({})).name.length, LARGE.length);
      assert.equal((await client().refresh({ refreshToken: LARGE })).accessToken.length, LARGE.length);
    });

    test("a response over the size limit is ResourceExhausted", async () => {
      const small = createGrpcHttp2Transport({
        baseUrl: `http://127.0.0.1:${server.port}`,
        maxResponseBytes: 1_000,
      });
      await expectRpcError(createClient(UserService, small).getMe({}), Code.ResourceExhausted);
      small.close();
    });

    // Only the Connect test server serves health.
    if (name === "Connect server") {
      test("a streaming call (health Watch) goes through Connect's transport", async () => {
        const responses = createClient(Health, transport).watch({})[Symbol.asyncIterator]();
        const first = await responses.next();
        assert.equal(first.done, false);
        assert.equal(first.value?.status, HealthCheckResponse_ServingStatus.SERVING);
        await responses.return?.();
      });
    }

    test("a call in flight when the server dies is Unavailable; after a restart the transport reconnects", async () => {
      const failed = expectRpcError(client().register({}, { timeoutMs: 5_000 }), Code.Unavailable);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const port = server.port;
      await server.kill();
      await failed;
      await expectRpcError(client().refresh({}), Code.Unavailable);
      server = await start(port);
      assert.equal((await client().refresh({ refreshToken: "again" })).accessToken, "again");
    });
  });
}

describe("gRPC transport, edge cases", () => {
  let server: http2.Http2Server;
  let transport: GrpcHttp2Transport;
  const token = create(TokenPairSchema, { accessToken: "ok" });

  before(async () => {
    // Each case is picked by a request header: a gRPC server would never send most of these.
    server = http2.createServer().on("stream", (stream: http2.ServerHttp2Stream, headers) => {
      stream.on("data", () => {});
      const grpcOk = { ":status": 200, "content-type": "application/grpc" };
      switch (headers["x-case"]) {
        case "http-503":
          return stream.respond({ ":status": 503 }, { endStream: true });
        case "trailers-only":
          return stream.respond(
            { ...grpcOk, "grpc-status": "5", "grpc-message": "no%20such%20user" },
            { endStream: true },
          );
        case "echo":
          // Answers with the metadata it got, in the status message.
          return stream.respond(
            {
              ...grpcOk,
              "grpc-status": "5",
              "grpc-message": encodeURIComponent(JSON.stringify([headers["x-meta"], headers.authorization])),
            },
            { endStream: true },
          );
        case "no-status":
          stream.respond(grpcOk);
          return stream.end(encodeFrame(toBinary(TokenPairSchema, token)));
        case "gzip":
        case "split":
        case "two": {
          stream.respond({ ...grpcOk, "grpc-encoding": "gzip" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          if (headers["x-case"] === "gzip") {
            const frame = encodeFrame(gzipSync(toBinary(TokenPairSchema, token)));
            frame[0] = 1;
            return stream.end(frame);
          }
          const frame = encodeFrame(toBinary(TokenPairSchema, token));
          if (headers["x-case"] === "two") return stream.end(Buffer.concat([frame, frame]));
          // One byte at a time, so that even the 5-byte prefix is split.
          for (const byte of frame) stream.write(Buffer.from([byte]));
          return stream.end();
        }
      }
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    transport = createGrpcHttp2Transport({
      baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    });
  });
  after(() => {
    transport?.close();
    server?.close();
  });

  const call = (testCase: string) =>
    createClient(UserService, transport).refresh({}, { headers: { "x-case": testCase } });

  test("a non-200 HTTP status maps to its gRPC code", async () => {
    await expectRpcError(call("http-503"), Code.Unavailable);
  });
  test("a trailers-only response carries the status", async () => {
    assert.equal((await expectRpcError(call("trailers-only"), Code.NotFound)).rawMessage, "no such user");
  });
  test("metadata given as a record, a Headers or pairs reaches the service alike", async () => {
    const sent = async (header: ConstructorParameters<typeof Headers>[0]) => {
      const reply = transport.unary(UserService.method.refresh, undefined, 1_000, header, {});
      return JSON.parse((await expectRpcError(reply, Code.NotFound)).rawMessage);
    };
    const expected = ["1", "Bearer t"];
    assert.deepEqual(await sent({ "x-case": "echo", "X-Meta": "1", authorization: "Bearer t" }), expected);
    assert.deepEqual(
      await sent(new Headers({ "x-case": "echo", "x-meta": "1", authorization: "Bearer t" })),
      expected,
    );
    assert.deepEqual(
      await sent([
        ["x-case", "echo"],
        ["x-meta", "1"],
        ["authorization", "Bearer t"],
      ]),
      expected,
    );
  });
  test("a header value with a line break fails the call, not the connection", async () => {
    for (const value of ["a\nb", "a\r", "a\0"]) {
      const header = { "x-case": "echo", "x-meta": value };
      const reply = transport.unary(UserService.method.refresh, undefined, 1_000, header, {});
      assert.equal((await expectRpcError(reply, Code.Internal)).rawMessage, "cannot send the request");
    }
    const badName = transport.unary(UserService.method.refresh, undefined, 1_000, { "x meta": "1" }, {});
    await expectRpcError(badName, Code.Internal);
    assert.equal((await call("gzip")).accessToken, "ok");
  });
  test("a response without grpc-status is Internal", async () => {
    await expectRpcError(call("no-status"), Code.Internal);
  });
  test("a gzip-compressed message is decompressed", async () =>
    assert.equal((await call("gzip")).accessToken, "ok"));
  test("a frame split byte by byte is reassembled", async () =>
    assert.equal((await call("split")).accessToken, "ok"));
  test("two messages for a unary call are refused", async () => {
    await expectRpcError(call("two"), Code.Unimplemented);
  });

  test("nothing listening is Unavailable", async () => {
    const nowhere = createGrpcHttp2Transport({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await expectRpcError(createClient(UserService, nowhere).refresh({}), Code.Unavailable);
    assert.equal(error.rawMessage, "service unavailable");
    nowhere.close();
  });

  test("a closed transport refuses calls", async () => {
    const closed = createGrpcHttp2Transport({ baseUrl: "http://127.0.0.1:1" });
    closed.close();
    await expectRpcError(createClient(UserService, closed).refresh({}), Code.Unavailable);
  });

  test("an idle client does not keep its process alive", async () => {
    const port = (server.address() as { port: number }).port;
    const script = `
      import { createClient } from "@connectrpc/connect";
      import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
      import { createGrpcHttp2Transport } from ${JSON.stringify(import.meta.resolve("../src/grpc-http2-transport.ts"))};
      const transport = createGrpcHttp2Transport({ baseUrl: "http://127.0.0.1:${port}", pingIntervalMs: 30000 });
      const response = await createClient(UserService, transport).refresh({}, { headers: { "x-case": "split" } });
      console.log(response.accessToken);`;
    // Not spawnSync: the server the child calls runs in this process.
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
      timeout: 10_000,
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const [status] = await once(child, "exit");
    assert.equal(output.trim(), "ok");
    assert.equal(status, 0);
  });
});
