import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HpackDecoder, HpackLiteralWriter } from "../src/hpack.ts";
import { createHttp2Server, type Http2Server, type ServerStream } from "../src/http2-server-connection.ts";
import { CLIENT_START, frame, type RawFrame, readFrames, requestHeaderBlock } from "./raw-http2.ts";

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A server whose streams `handle` answers; node:http2's client talks to it. */
async function start(handle: (stream: ServerStream) => void, maxConcurrentStreams = 100) {
  const server = createHttp2Server({ maxConcurrentStreams, onStream: handle });
  server.server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const { port } = server.server.address() as net.AddressInfo;
  return { server, port, url: `http://127.0.0.1:${port}` };
}

/** Collects a request body, then calls `answer` with it. */
function collect(stream: ServerStream, answer: (body: Buffer) => void, onClose?: () => void): void {
  const chunks: Buffer[] = [];
  stream.listener = {
    onData: (chunk) => chunks.push(chunk),
    onEnd: () => answer(Buffer.concat(chunks)),
    onClose: () => onClose?.(),
  };
}

/** One request from node:http2's client: the response's headers, body and trailers. */
async function request(session: http2.ClientHttp2Session, path: string, body?: Buffer) {
  const stream = session.request({ ":method": "POST", ":path": path });
  stream.end(body);
  const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
  let trailers: http2.IncomingHttpHeaders | undefined;
  stream.on("trailers", (fields) => {
    trailers = fields;
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { headers, body: Buffer.concat(chunks), trailers, rstCode: stream.rstCode };
}

describe("HTTP/2 server connection against node:http2's client", () => {
  const servers: Http2Server[] = [];
  const sessions: http2.ClientHttp2Session[] = [];
  after(() => {
    for (const session of sessions) session.destroy();
    for (const server of servers) {
      server.destroy();
      server.server.close();
    }
  });
  const connect = (url: string, options?: http2.SessionOptions) => {
    const session = http2.connect(url, options);
    sessions.push(session);
    return session;
  };

  test("moves bodies larger than every flow-control window both ways, intact, with trailers", async () => {
    const response = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < response.length; i++) response[i] = (i * 13) & 0xff;
    const { server, url } = await start((stream) =>
      collect(stream, (body) => {
        stream.respond({ ":status": 200, "x-request-sha": sha(body) });
        // Written in parts, as a streaming answer is: each waits for flow control as it must.
        stream.write(response.subarray(0, 1024 * 1024));
        stream.end(response.subarray(1024 * 1024), { "x-trailer": "done" });
      }),
    );
    servers.push(server);
    const requestBody = Buffer.alloc(3 * 1024 * 1024, 7);
    const answer = await request(connect(url), "/big", requestBody);
    assert.equal(answer.headers["x-request-sha"], sha(requestBody));
    assert.equal(sha(answer.body), sha(response));
    assert.equal(answer.trailers?.["x-trailer"], "done");
  });

  test("tells a streaming writer when flow control lets it go on", async () => {
    const { server, url } = await start((stream) => {
      stream.listener = {
        onData: () => {},
        onEnd: () => {
          stream.respond({ ":status": 200 });
          // node:http2's client starts with a 64 KiB window: the second write waits for it.
          const first = stream.write(Buffer.alloc(60 * 1024, 1));
          const second = stream.write(Buffer.alloc(60 * 1024, 2));
          stream.listener = {
            onData: () => {},
            onEnd: () => {},
            onClose: () => {},
            onDrain: () => stream.end(Buffer.from(`${first},${second}`), { "x-done": "1" }),
          };
        },
        onClose: () => {},
      };
    });
    servers.push(server);
    const answer = await request(connect(url), "/drain");
    assert.equal(answer.body.subarray(120 * 1024).toString(), "true,false");
    assert.equal(answer.trailers?.["x-done"], "1");
  });

  test("answers pings, keeps no HPACK table when the client allows none, and takes request trailers", async () => {
    const { server, url } = await start((stream) =>
      collect(stream, (body) => stream.respond({ ":status": 200, "x-length": body.length }, true)),
    );
    servers.push(server);
    const session = connect(url, { settings: { headerTableSize: 0 } });
    // node:http2 cancels a ping sent before its session is connected.
    await once(session, "connect");
    const answered = await new Promise<Error | null>((resolve) => session.ping((error) => resolve(error)));
    assert.equal(answered, null);
    const stream = session.request({ ":method": "POST", ":path": "/" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "x-request-trailer": "1" }));
    stream.end(Buffer.alloc(10));
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(headers["x-length"], "10");
    // A second answer on the same connection decodes too.
    assert.equal((await request(session, "/again", Buffer.alloc(3))).headers["x-length"], "3");
  });

  test("a client's reset closes the stream for its handler", async () => {
    const { promise: closed, resolve: onClosed } = Promise.withResolvers<void>();
    const { server, url } = await start((stream) => collect(stream, () => {}, onClosed));
    servers.push(server);
    const stream = connect(url).request({ ":method": "POST", ":path": "/slow" });
    stream.end(Buffer.from("body"));
    await sleep(20);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await closed;
  });

  test("an answer sent before the request ends resets the rest of the request with NO_ERROR", async () => {
    const { server, url } = await start((stream) => {
      stream.listener = { onData: () => {}, onEnd: () => {}, onClose: () => {} };
      stream.respond({ ":status": 200 });
      stream.end(Buffer.from("early"), { "x-early": "1" });
    });
    servers.push(server);
    const stream = connect(url).request({ ":method": "POST", ":path": "/" });
    stream.write(Buffer.alloc(100));
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(stream, "close");
    assert.equal(Buffer.concat(chunks).toString(), "early");
    assert.equal(stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
  });

  test("a stream the client resets counts against its limit until its handler is done", async () => {
    const held: ServerStream[] = [];
    const { server, url } = await start((stream) => {
      stream.listener = {
        onData: () => {},
        onEnd: () => {
          // Handlers of "/hold" work until the test lets them go; the others answer at once.
          stream.hold();
          if (stream.headers[":path"] === "/hold") held.push(stream);
          else {
            stream.respond({ ":status": 200 }, true);
            stream.release();
          }
        },
        onClose: () => {},
      };
    }, 2);
    servers.push(server);
    const session = connect(url);
    await once(session, "connect");
    const abandoned = session.request({ ":method": "POST", ":path": "/hold" });
    abandoned.on("error", () => {});
    abandoned.end();
    while (held.length === 0) await sleep(5);
    abandoned.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => abandoned.on("close", resolve));
    await sleep(20);
    // One slot is still taken by the reset stream's handler: of two streams at once, one is refused.
    const open = session.request({ ":method": "POST", ":path": "/hold" });
    open.end();
    while (held.length === 1) await sleep(5);
    const refused = session.request({ ":method": "POST", ":path": "/quick" });
    refused.on("error", () => {});
    refused.end();
    // Not events.once: it would reject on the stream's error, which is what is expected here.
    await new Promise((resolve) => refused.on("close", resolve));
    assert.equal(refused.rstCode, http2.constants.NGHTTP2_REFUSED_STREAM);
    // Once that handler is done, its slot is free again.
    (held[0] as ServerStream).release();
    const accepted = await request(session, "/quick");
    assert.equal(accepted.headers[":status"], 200);
    (held[1] as ServerStream).respond({ ":status": 200 }, true);
  });

  test("a client holding too much in unfinished requests is cut off", async () => {
    const { server, url } = await start((stream) =>
      collect(stream, () => stream.respond({ ":status": 200 }, true)),
    );
    servers.push(server);
    const session = connect(url);
    const goaway = once(session, "goaway");
    session.on("error", () => {});
    // 40 requests of 1 MiB each, none of them ended: more than a connection may hold.
    for (let i = 0; i < 40; i++) {
      const stream = session.request({ ":method": "POST", ":path": "/" });
      stream.on("error", () => {});
      stream.write(Buffer.alloc(1024 * 1024));
    }
    const [code] = (await goaway) as [number];
    assert.equal(code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  });

  test("shutdown lets open streams finish, refuses new ones, then closes the connection", async () => {
    const held: ServerStream[] = [];
    const { server, url } = await start((stream) => collect(stream, () => held.push(stream)));
    servers.push(server);
    const session = connect(url);
    const pending = request(session, "/held");
    while (held.length === 0) await sleep(5);
    const goaway = once(session, "goaway");
    server.shutdown();
    await goaway;
    (held[0] as ServerStream).respond({ ":status": 200, "x-held": "1" }, true);
    assert.equal((await pending).headers["x-held"], "1");
    await once(session, "close");
    // The server forgets the connection once its socket has closed.
    while (server.connections.size > 0) await sleep(5);
  });
});

describe("HTTP/2 server connection against raw frames", () => {
  const servers: Http2Server[] = [];
  after(() => {
    for (const server of servers) {
      server.destroy();
      server.server.close();
    }
  });

  const requestHeaders = requestHeaderBlock("/");

  /** Sends `bytes` after the preface and SETTINGS, and reads frames until the server closes. */
  async function exchange(port: number, bytes: Buffer) {
    const socket = net.connect(port, "127.0.0.1");
    socket.write(CLIENT_START);
    socket.write(bytes);
    const frames: RawFrame[] = [];
    let buffer: Buffer = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    socket.on("data", (chunk: Buffer) => {
      const read = readFrames(Buffer.concat([buffer, chunk]));
      frames.push(...read.frames);
      buffer = read.rest;
    });
    await Promise.race([done, sleep(300)]);
    socket.destroy();
    return frames;
  }

  test("refuses streams over its concurrency limit, and answers the others", async () => {
    const started = await start(
      (stream) => collect(stream, () => stream.respond({ ":status": 200 }, true)),
      2,
    );
    servers.push(started.server);
    // Three requests whose bodies have not ended: only two may be open at once.
    const frames = await exchange(
      started.port,
      Buffer.concat([1, 3, 5].map((id) => frame(1, 0x4, id, requestHeaders))),
    );
    const resets = frames.filter((f) => f.type === 3).map((f) => [f.stream, f.payload.readUInt32BE(0)]);
    assert.deepEqual(resets, [[5, http2.constants.NGHTTP2_REFUSED_STREAM]]);
  });

  test("a request without :path is a stream error; bad HPACK is a connection error", async () => {
    const started = await start((stream) => collect(stream, () => stream.respond({ ":status": 200 }, true)));
    servers.push(started.server);
    const noPath = new HpackLiteralWriter()
      .addIndexed(":method", "POST")
      .addIndexed(":scheme", "http")
      .toBuffer();
    const frames = await exchange(
      started.port,
      Buffer.concat([
        frame(1, 0x4 | 0x1, 1, noPath),
        frame(1, 0x4 | 0x1, 3, requestHeaders),
        frame(1, 0x4 | 0x1, 5, Buffer.of(0x80)),
      ]),
    );
    const decoder = new HpackDecoder();
    const summary = frames
      .filter((f) => f.type === 3 || f.type === 7 || f.type === 1)
      .map((f) =>
        f.type === 3
          ? `reset ${f.stream} ${f.payload.readUInt32BE(0)}`
          : f.type === 7
            ? `goaway ${f.payload.readUInt32BE(4)}`
            : `headers ${f.stream} ${decoder.decode(f.payload)[":status"]}`,
      );
    assert.deepEqual(summary, [
      `reset 1 ${http2.constants.NGHTTP2_PROTOCOL_ERROR}`,
      "headers 3 200",
      `goaway ${http2.constants.NGHTTP2_COMPRESSION_ERROR}`,
    ]);
  });

  test("a client that stops reading is cut off once the backlog of what it is sent grows too large", async () => {
    const { promise: cutOff, resolve: onCutOff } = Promise.withResolvers<void>();
    const started = await start((stream) => {
      stream.listener = {
        onData: () => {},
        onEnd: () => {
          stream.respond({ ":status": 200 });
          const chunk = Buffer.alloc(1024 * 1024);
          for (let i = 0; i < 80; i++) stream.write(chunk);
        },
        onClose: onCutOff,
      };
    });
    servers.push(started.server);
    const socket = net.connect(started.port, "127.0.0.1");
    socket.on("error", () => {});
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(0x4, 0);
    settings.writeUInt32BE(2 ** 31 - 1, 2);
    const increment = Buffer.alloc(4);
    increment.writeUInt32BE(2 ** 31 - 1 - 65_535, 0);
    // Windows wide open, so that flow control lets everything go, and then nothing is read.
    socket.write(Buffer.concat([CLIENT_START, frame(4, 0, 0, settings), frame(8, 0, 0, increment)]));
    socket.write(frame(1, 0x4 | 0x1, 1, requestHeaders));
    socket.pause();
    await cutOff;
    socket.destroy();
  });

  test("a fault of ours while reading ends that connection with INTERNAL_ERROR, and is reported", async () => {
    const faults: unknown[] = [];
    const thrown = new Error("a handler's bug");
    const server = createHttp2Server({
      maxConcurrentStreams: 10,
      onStream: (stream) => {
        if (stream.headers[":path"] === "/throw") throw thrown;
        collect(stream, () => stream.respond({ ":status": 200 }, true));
      },
      onInternalError: (error) => faults.push(error),
    });
    servers.push(server);
    server.server.listen(0, "127.0.0.1");
    await once(server.server, "listening");
    const { port } = server.server.address() as net.AddressInfo;
    const frames = await exchange(port, frame(1, 0x4 | 0x1, 1, requestHeaderBlock("/throw")));
    const goaway = frames.find((f) => f.type === 7);
    assert.equal(goaway?.payload.readUInt32BE(4), http2.constants.NGHTTP2_INTERNAL_ERROR);
    assert.deepEqual(faults, [thrown]);
    // Other connections are served as before.
    const answered = await exchange(port, frame(1, 0x4 | 0x1, 1, requestHeaders));
    assert.ok(answered.some((f) => f.type === 1 && f.stream === 1));
  });

  test("a client that does not finish saying hello within the handshake time is disconnected", async () => {
    const server = createHttp2Server({
      maxConcurrentStreams: 10,
      handshakeTimeoutMs: 200,
      onStream: (stream) => collect(stream, () => stream.respond({ ":status": 200 }, true)),
    });
    servers.push(server);
    server.server.listen(0, "127.0.0.1");
    await once(server.server, "listening");
    const { port } = server.server.address() as net.AddressInfo;
    const closedAfter = (bytes: Buffer) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
        socket.on("data", () => {});
        socket.on("error", () => {});
        socket.on("close", () => resolve(Date.now() - started));
        setTimeout(() => socket.destroy(), 3_000);
      });
    const times = await Promise.all([
      closedAfter(Buffer.alloc(0)),
      closedAfter(CLIENT_START.subarray(0, 10)),
      closedAfter(CLIENT_START.subarray(0, 24)),
    ]);
    for (const ms of times) assert.ok(ms >= 150 && ms < 2_000, `closed after ${ms} ms`);
    // A client that said hello in time keeps its connection past the handshake time.
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      await sleep(400);
      const stream = session.request({ ":method": "POST", ":path": "/" });
      stream.end();
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      assert.equal(headers[":status"], 200);
    } finally {
      session.destroy();
    }
  });

  test("a client that does not speak HTTP/2 is disconnected", async () => {
    const started = await start(() => assert.fail("no stream expected"));
    servers.push(started.server);
    const socket = net.connect(started.port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nhost: localhost\r\n\r\n");
    socket.resume();
    await once(socket, "close");
  });
});
