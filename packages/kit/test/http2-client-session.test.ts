import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { encodeFrame } from "../src/grpc-framing.ts";
import { createGrpcHttp2Transport } from "../src/grpc-http2-transport.ts";
import { type HeaderFields, HpackDecoder, HpackLiteralWriter } from "../src/hpack.ts";
import { ErrorCode, Http2ClientSession } from "../src/http2-client-session.ts";
import { REQUEST_ID_HEADER, runInRequestContext } from "../src/request-context.ts";
import { expectRpcError } from "../src/testing.ts";
import { frame, readFrames, requestHeaderBlock } from "./raw-http2.ts";

/** What a stream told its listener, once it closed. */
interface Outcome {
  readonly blocks: HeaderFields[];
  readonly body: Buffer;
  readonly errorCode: number;
  readonly lost: boolean;
}

function send(session: Http2ClientSession, path: string, body: Buffer = Buffer.alloc(0)) {
  const blocks: HeaderFields[] = [];
  const chunks: Buffer[] = [];
  const { promise, resolve } = Promise.withResolvers<Outcome>();
  const stream = session.request(requestHeaderBlock(path), body, {
    onHeaders: (fields) => blocks.push(fields),
    onData: (chunk) => chunks.push(chunk),
    onClose: (errorCode, lost) => resolve({ blocks, body: Buffer.concat(chunks), errorCode, lost }),
  });
  return { stream, outcome: promise };
}

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

async function startServer(handler: Handler, settings: http2.Settings = {}) {
  const server = http2.createServer({ settings });
  const sessions: http2.ServerHttp2Session[] = [];
  server.on("session", (session) => sessions.push(session));
  server.on("stream", (stream: http2.ServerHttp2Stream, headers) => {
    // node:http2 reports resets and refused streams as errors of the server's stream.
    stream.on("error", () => {});
    handler(stream, headers);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    sessions,
    client: () => new Http2ClientSession({ host: "127.0.0.1", port }),
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP server that answers each connection with `script` instead of HTTP/2. */
async function startRawServer(script: (socket: net.Socket) => void) {
  const server = net.createServer(script);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, server };
}

/** An empty SETTINGS frame: what a server must send first. */
const SETTINGS = Buffer.from("000000040000000000", "hex");

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const readAll = async (stream: http2.ServerHttp2Stream) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe("HTTP/2 client session against node:http2", () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  test("moves bodies larger than every flow-control window both ways, intact", async () => {
    const request = Buffer.alloc(3 * 1024 * 1024);
    const response = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < request.length; i++) request[i] = (i * 7) & 0xff;
    for (let i = 0; i < response.length; i++) response[i] = (i * 13) & 0xff;
    const server = await startServer(async (stream) => {
      const received = await readAll(stream);
      stream.respond({ ":status": 200, "x-request-sha": sha(received) });
      stream.end(response);
    });
    cleanups.push(server.close);
    const session = server.client();
    cleanups.push(() => session.destroy());
    const outcome = await send(session, "/big", request).outcome;
    assert.equal(outcome.errorCode, ErrorCode.NO_ERROR);
    assert.equal(outcome.blocks[0]?.["x-request-sha"], sha(request));
    assert.equal(sha(outcome.body), sha(response));
  });

  test("keeps to the server's limit of concurrent streams, queueing the rest", async () => {
    let open = 0;
    let most = 0;
    const server = await startServer(
      async (stream) => {
        most = Math.max(most, ++open);
        await readAll(stream);
        await sleep(10);
        open--;
        stream.respond({ ":status": 200 }, { endStream: true });
      },
      { maxConcurrentStreams: 2 },
    );
    cleanups.push(server.close);
    const session = server.client();
    cleanups.push(() => session.destroy());
    // The limit arrives with the server's SETTINGS: wait for it before racing calls.
    assert.equal((await send(session, "/first").outcome).errorCode, ErrorCode.NO_ERROR);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => send(session, "/many").outcome));
    assert.deepEqual(
      outcomes.map((o) => [o.errorCode, o.blocks[0]?.[":status"]]),
      Array(10).fill([ErrorCode.NO_ERROR, "200"]),
    );
    assert.equal(most, 2);
  });

  test("reads a header block split over CONTINUATION frames", async () => {
    const big = "b".repeat(40_000);
    const server = await startServer((stream) =>
      stream.respond({ ":status": 200, "x-big": big }, { endStream: true }),
    );
    cleanups.push(server.close);
    const session = server.client();
    cleanups.push(() => session.destroy());
    const outcome = await send(session, "/big-header").outcome;
    assert.equal(outcome.blocks[0]?.["x-big"], big);
  });

  test("keeps decoding the headers of a cancelled stream, so later ones stay right", async () => {
    // Every answer ends with a trailer new to the connection at first: the server's encoder
    // adds it to its table, and later answers refer to it by index.
    const server = await startServer((stream) => {
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "x-token": "abc123-remembered" }));
      stream.end("body");
    });
    cleanups.push(server.close);
    const session = server.client();
    cleanups.push(() => session.destroy());
    const { promise: cancelled, resolve: onCancelled } = Promise.withResolvers<void>();
    const headers = requestHeaderBlock("/cancelled");
    let heardAfterCancel = false;
    // Cancelled as soon as its headers arrive: its trailers, sent with them, come to a stream gone.
    const stream = session.request(headers, Buffer.alloc(0), {
      onHeaders: () => {
        if (stream.closed) heardAfterCancel = true;
        stream.cancel();
        onCancelled();
      },
      onData: () => (heardAfterCancel = true),
      onClose: () => (heardAfterCancel = true),
    });
    await cancelled;
    for (const path of ["/next", "/again"]) {
      const outcome = await send(session, path).outcome;
      assert.equal(outcome.blocks[1]?.["x-token"], "abc123-remembered", path);
    }
    assert.equal(heardAfterCancel, false, "a cancelled stream's listener hears nothing more");
  });

  test("reports the server's stream resets with their codes", async () => {
    const server = await startServer((stream, headers) => {
      stream.close(
        headers[":path"] === "/refuse"
          ? http2.constants.NGHTTP2_REFUSED_STREAM
          : http2.constants.NGHTTP2_CANCEL,
      );
    });
    cleanups.push(server.close);
    const session = server.client();
    cleanups.push(() => session.destroy());
    const refused = await send(session, "/refuse").outcome;
    assert.deepEqual([refused.errorCode, refused.lost], [ErrorCode.REFUSED_STREAM, true]);
    const cancelled = await send(session, "/cancel").outcome;
    assert.deepEqual([cancelled.errorCode, cancelled.lost], [ErrorCode.CANCEL, false]);
  });

  test("a fault of ours while reading ends only that connection, and is reported", async () => {
    const server = await startServer((stream, headers) => {
      stream.respond({ ":status": 200 });
      if (headers[":path"] === "/slow") setTimeout(() => stream.end("late"), 200);
      else stream.end("now");
    });
    cleanups.push(server.close);
    const faults: unknown[] = [];
    const session = new Http2ClientSession({
      host: "127.0.0.1",
      port: server.port,
      onInternalError: (error) => faults.push(error),
    });
    cleanups.push(() => session.destroy());
    const slow = send(session, "/slow");
    const thrown = new Error("a listener's bug");
    session.request(requestHeaderBlock("/now"), Buffer.alloc(0), {
      onHeaders: () => {
        throw thrown;
      },
      onData: () => {},
      onClose: () => {},
    });
    // The other call on the connection fails as lost; the process goes on.
    assert.deepEqual([(await slow.outcome).errorCode, (await slow.outcome).lost], [ErrorCode.CANCEL, true]);
    assert.deepEqual(faults, [thrown]);
    assert.equal(session.usable, false);
    const fresh = server.client();
    cleanups.push(() => fresh.destroy());
    assert.equal((await send(fresh, "/now").outcome).body.toString(), "now");
  });

  test("answers the server's pings", async () => {
    const server = await startServer((stream) => stream.respond({ ":status": 200 }, { endStream: true }));
    cleanups.push(server.close);
    const session = server.client();
    cleanups.push(() => session.destroy());
    await send(session, "/").outcome;
    const [serverSession] = server.sessions;
    const answered = await new Promise<Error | null>((resolve) =>
      serverSession?.ping((error) => resolve(error)),
    );
    assert.equal(answered, null);
  });

  test("after GOAWAY, finishes the streams the server kept and refuses the others", async () => {
    const { promise: release, resolve: releaseAll } = Promise.withResolvers<void>();
    const server = await startServer(async (stream) => {
      await readAll(stream);
      await release;
      if (!stream.destroyed) stream.respond({ ":status": 200 }, { endStream: true });
    });
    cleanups.push(server.close);
    let unusable = 0;
    const session = new Http2ClientSession({
      host: "127.0.0.1",
      port: server.port,
      onUnusable: () => unusable++,
    });
    cleanups.push(() => session.destroy());
    const kept = send(session, "/kept");
    const dropped = send(session, "/dropped");
    await sleep(30);
    // Stream 1 will be processed, stream 3 will not.
    server.sessions[0]?.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    const droppedOutcome = await dropped.outcome;
    assert.deepEqual([droppedOutcome.errorCode, droppedOutcome.lost], [ErrorCode.REFUSED_STREAM, true]);
    assert.equal(session.usable, false);
    assert.equal(unusable, 1);
    releaseAll();
    const keptOutcome = await kept.outcome;
    assert.deepEqual(
      [keptOutcome.errorCode, keptOutcome.blocks[0]?.[":status"]],
      [ErrorCode.NO_ERROR, "200"],
    );
    const late = await send(session, "/late").outcome;
    assert.deepEqual([late.errorCode, late.lost], [ErrorCode.REFUSED_STREAM, true]);
  });
});

describe("HTTP/2 client session against a broken peer", () => {
  const servers: net.Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });
  const lost = async (script: (socket: net.Socket) => void) => {
    const { port, server } = await startRawServer(script);
    servers.push(server);
    let closed = 0;
    const session = new Http2ClientSession({ host: "127.0.0.1", port, onClose: () => closed++ });
    const outcome = await send(session, "/").outcome;
    assert.equal(outcome.lost, true);
    assert.equal(session.destroyed, true);
    assert.equal(closed, 1);
  };

  test("an HTTP/1.1 answer ends the connection", () =>
    lost((socket) => socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")));

  test("a frame larger than allowed ends the connection", () =>
    lost((socket) => socket.write(Buffer.concat([SETTINGS, Buffer.from("100000000000000001", "hex")]))));

  test("a header block HPACK cannot decode ends the connection", () =>
    lost((socket) =>
      socket.write(Buffer.concat([SETTINGS, Buffer.from("000001010500000001", "hex"), Buffer.of(0x80)])),
    ));

  test("a peer that goes silent is found by the transport's pings", async () => {
    const { port, server } = await startRawServer((socket) => {
      socket.on("data", () => {});
      socket.write(SETTINGS);
    });
    servers.push(server);
    const transport = createGrpcHttp2Transport({ baseUrl: `http://127.0.0.1:${port}`, pingIntervalMs: 50 });
    const started = Date.now();
    await expectRpcError(
      transport.unary(Health.method.check, undefined, undefined, undefined, {}),
      Code.Unavailable,
    );
    assert.ok(Date.now() - started < 2_000);
    transport.close();
  });

  test("sends its request before the server's SETTINGS arrive", async () => {
    // The server sends nothing until it has the whole request: the client must not wait for it.
    const { port, server } = await startRawServer((socket) => {
      let received = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (!socket.writableEnded && received.includes(encodeFrame(Buffer.from("ping"))))
          socket.end(SETTINGS);
      });
    });
    servers.push(server);
    const session = new Http2ClientSession({ host: "127.0.0.1", port });
    const outcome = await send(session, "/", encodeFrame(Buffer.from("ping"))).outcome;
    // The server hung up after its SETTINGS: the request was sent, then lost.
    assert.equal(outcome.lost, true);
  });
});

describe("gRPC transport over TLS", () => {
  test("an https base URL calls over TLS, with ALPN h2 and the server's name checked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skyros-tls-"));
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const server = http2.createSecureServer({ key: readFileSync(key), cert: readFileSync(cert) });
    server.on("stream", (stream: http2.ServerHttp2Stream, headers) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const answer = create(HealthCheckResponseSchema, {
        status: HealthCheckResponse_ServingStatus.SERVING,
      });
      stream.end(
        headers[":path"] === "/grpc.health.v1.Health/Check"
          ? encodeFrame(toBinary(HealthCheckResponseSchema, answer))
          : undefined,
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    try {
      // The certificate is trusted only through NODE_EXTRA_CA_CERTS, read when a process starts.
      const script = `
        import { Health } from "@skyros/contracts/grpc/health/v1/health_pb.js";
        import { createGrpcHttp2Transport } from ${JSON.stringify(import.meta.resolve("../src/grpc-http2-transport.ts"))};
        const transport = createGrpcHttp2Transport({ baseUrl: "https://localhost:${port}" });
        const response = await transport.unary(Health.method.check, undefined, 5000, undefined, {});
        console.log(response.message.status);`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd: fileURLToPath(new URL("../../..", import.meta.url)),
        env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
        timeout: 10_000,
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      const [status] = await once(child, "exit");
      assert.equal(output.trim(), String(HealthCheckResponse_ServingStatus.SERVING));
      assert.equal(status, 0);
      // Without the certificate trusted, the connection fails and the call is Unavailable.
      const untrusted = createGrpcHttp2Transport({ baseUrl: `https://localhost:${port}` });
      await expectRpcError(
        untrusted.unary(Health.method.check, undefined, 5000, undefined, {}),
        Code.Unavailable,
      );
      untrusted.close();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("gRPC transport: a call the server refused unprocessed is sent again, once", () => {
  const servers: net.Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });
  const goaway = frame(7, 0, 0, Buffer.alloc(8)); // last stream 0, NO_ERROR: nothing was processed
  const fields = (entries: Record<string, string>) => {
    const writer = new HpackLiteralWriter();
    for (const [name, value] of Object.entries(entries)) writer.add(name, value, name.startsWith(":"));
    return writer.toBuffer();
  };
  const answer = (stream: number) =>
    Buffer.concat([
      frame(1, 0x4, stream, fields({ ":status": "200", "content-type": "application/grpc" })),
      frame(
        0,
        0,
        stream,
        encodeFrame(
          toBinary(
            HealthCheckResponseSchema,
            create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
          ),
        ),
      ),
      frame(1, 0x5, stream, fields({ "grpc-status": "0" })),
    ]);
  type Reply = "refuse" | "serve" | "drop";

  /** A server that answers its n-th connection's first request as `replies[n]` says; what each request carried. */
  async function scripted(replies: readonly Reply[]) {
    const requests: HeaderFields[] = [];
    const { port, server } = await startRawServer((socket) => {
      const reply = replies[Math.min(requests.length, replies.length - 1)] as Reply;
      let received = Buffer.alloc(0);
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const headers = readFrames(received.subarray(24)).frames.find((f) => f.type === 1);
        if (headers === undefined || socket.writableEnded || socket.destroyed) return;
        requests.push(new HpackDecoder().decode(headers.payload));
        if (reply === "drop") socket.destroy();
        else if (reply === "refuse") socket.end(Buffer.concat([SETTINGS, goaway]));
        else socket.write(Buffer.concat([SETTINGS, answer(headers.stream)]));
      });
    });
    servers.push(server);
    return { url: `http://127.0.0.1:${port}`, requests };
  }
  const check = (url: string) => {
    const transport = createGrpcHttp2Transport({ baseUrl: url, defaultTimeoutMs: 5_000 });
    const call = runInRequestContext({ requestId: "retried-request" }, () =>
      transport.unary(Health.method.check, undefined, undefined, undefined, {}),
    );
    return call.finally(() => transport.close());
  };

  test("refused by a server going away, the call succeeds on a new connection, with its request id", async () => {
    const server = await scripted(["refuse", "serve"]);
    const response = await check(server.url);
    assert.equal(response.message.status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(server.requests.length, 2);
    for (const request of server.requests) assert.equal(request[REQUEST_ID_HEADER], "retried-request");
    // The second try carries the time that is left, not the whole deadline again.
    const [first, second] = server.requests.map((request) =>
      Number.parseInt(request["grpc-timeout"] as string, 10),
    );
    assert.ok((second as number) <= (first as number), `${second} after ${first}`);
  });

  test("refused twice, it fails as Unavailable: there is one retry, not a loop", async () => {
    const server = await scripted(["refuse"]);
    await expectRpcError(check(server.url), Code.Unavailable);
    assert.equal(server.requests.length, 2);
  });

  test("a connection lost after the request was sent is not retried: the server may have acted on it", async () => {
    const server = await scripted(["drop", "serve"]);
    await expectRpcError(check(server.url), Code.Unavailable);
    assert.equal(server.requests.length, 1);
  });
});
