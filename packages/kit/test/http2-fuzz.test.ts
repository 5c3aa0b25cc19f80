/**
 * The kit's own HTTP/2, fed generated garbage from a fixed seed: frames of
 * every type with wrong lengths, flags, stream ids, settings, windows and
 * header blocks, mixed with well-formed ones so that the states behind them are
 * reached. The server must answer or drop each connection without throwing,
 * leave no stream unsettled and no connection open, and still serve a normal
 * client afterwards; the client must settle every call to a server answering
 * garbage (a response or a ConnectError, within its deadline), and still call
 * a well-behaved server afterwards.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { encodeFrame } from "../src/grpc-framing.ts";
import { createGrpcHttp2Transport } from "../src/grpc-http2-transport.ts";
import { HpackLiteralWriter } from "../src/hpack.ts";
import { createHttp2Server, type ServerStream } from "../src/http2-server-connection.ts";
import { type SeededRandom, seededRandom } from "../src/testing.ts";
import { CLIENT_START, frame, readFrames, requestHeaderBlock } from "./raw-http2.ts";

const SEED = 8081;
const SERVER_CASES = 400;
const CLIENT_CASES = 300;
/** Cases run at once. */
const PARALLEL = 8;

const Type = {
  Data: 0,
  Headers: 1,
  Priority: 2,
  RstStream: 3,
  Settings: 4,
  PushPromise: 5,
  Ping: 6,
  Goaway: 7,
  WindowUpdate: 8,
  Continuation: 9,
} as const;

const uint32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes;
};

/** Changes a few bytes, cuts the end off, or adds some. */
function mangle(random: SeededRandom, bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  switch (random.int(3)) {
    case 0:
      for (let n = 1 + random.int(3); n > 0 && copy.length > 0; n--)
        copy[random.int(copy.length)] = random.int(256);
      return copy;
    case 1:
      return copy.subarray(0, random.int(copy.length + 1));
    default:
      return Buffer.concat([copy, random.bytes(1 + random.int(8))]);
  }
}

function settingsPayload(random: SeededRandom): Buffer {
  const entries = Array.from({ length: random.int(4) }, () => {
    const entry = Buffer.alloc(6);
    entry.writeUInt16BE(random.pick([1, 2, 3, 4, 5, 6, 0, 7, 0xffff]), 0);
    entry.writeUInt32BE(
      random.pick([0, 1, 2, 100, 16_383, 16_384, 65_535, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]),
      2,
    );
    return entry;
  });
  return Buffer.concat(entries);
}

/** A frame a client might send: usually of the right shape for its type, often not. */
function clientFrame(random: SeededRandom): Buffer {
  const type = random.pick([0, 1, 1, 1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 0xff]);
  const stream = random.pick([0, 1, 1, 1, 3, 3, 5, 2, 7, 2 ** 31 - 1, random.int(2 ** 31)]);
  const flags = random.pick([0, 0x1, 0x4, 0x5, 0x5, 0x8, 0x20, 0x25, 0x2d, random.int(256)]);
  let payload: Buffer;
  switch (type) {
    case Type.Data:
      payload = random.bytes(random.int(64));
      break;
    case Type.Headers:
    case Type.Continuation: {
      const block = requestHeaderBlock(
        random.pick(["/", "/svc/Method", "/a?b"]),
        random.pick(["GET", "POST"]),
      );
      payload = random.next() < 0.3 ? block.subarray(0, random.int(block.length)) : block;
      if (flags & 0x20) payload = Buffer.concat([random.bytes(5), payload]);
      if (flags & 0x8)
        payload = Buffer.concat([Buffer.of(random.pick([0, 1, 4, 200])), payload, Buffer.alloc(4)]);
      break;
    }
    case Type.Priority:
      payload = random.bytes(random.pick([5, 5, 4, 6]));
      break;
    case Type.RstStream:
      payload = random.next() < 0.8 ? uint32(random.int(14)) : random.bytes(random.int(8));
      break;
    case Type.Settings:
      payload = settingsPayload(random);
      break;
    case Type.Ping:
      payload = random.bytes(random.pick([8, 8, 8, 0, 7, 9]));
      break;
    case Type.Goaway:
      payload = Buffer.concat([uint32(random.int(8)), uint32(random.int(14)), random.bytes(random.int(8))]);
      break;
    case Type.WindowUpdate:
      payload = uint32(random.pick([0, 1, 1000, 65_535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]));
      break;
    default:
      payload = random.bytes(random.int(20));
  }
  if (random.next() < 0.15) payload = mangle(random, payload);
  const bytes = frame(type, flags, stream, payload);
  // Sometimes the length field lies.
  if (random.next() < 0.04)
    bytes.writeUIntBE(random.pick([0, payload.length + 1, 16_385, 2 ** 24 - 1]), 0, 3);
  return bytes;
}

/**
 * What a well-behaved client might send next, given the streams it opened: new
 * requests, bodies, window updates, pings, settings, resets, priorities.
 */
function wellFormedFrame(random: SeededRandom, state: { nextStream: number; open: number[] }): Buffer {
  const stream = state.open.length > 0 ? random.pick(state.open) : 0;
  switch (state.open.length === 0 ? 0 : random.int(7)) {
    case 0: {
      const id = state.nextStream;
      state.nextStream += 2;
      const ends = random.next() < 0.4;
      if (!ends) state.open.push(id);
      return frame(Type.Headers, 0x4 | (ends ? 0x1 : 0), id, requestHeaderBlock("/svc/Method"));
    }
    case 1:
    case 2: {
      const ends = random.next() < 0.5;
      if (ends) state.open.splice(state.open.indexOf(stream), 1);
      return frame(Type.Data, ends ? 0x1 : 0, stream, random.bytes(random.int(2_000)));
    }
    case 3:
      return frame(Type.WindowUpdate, 0, random.pick([0, stream]), uint32(1 + random.int(100_000)));
    case 4:
      return random.next() < 0.5
        ? frame(Type.Ping, 0, 0, random.bytes(8))
        : frame(Type.Settings, 0, 0, Buffer.from([0, 4, 0, 0, random.int(4), random.int(256)]));
    case 5:
      state.open.splice(state.open.indexOf(stream), 1);
      return frame(Type.RstStream, 0, stream, uint32(random.pick([0, 8])));
    default:
      return frame(Type.Priority, 0, stream, Buffer.of(0, 0, 0, 0, random.int(256)));
  }
}

/** A connection's worth of frames: well-formed ones with a generated one among them now and then. */
function clientFrames(random: SeededRandom): Buffer {
  const state = { nextStream: 1, open: [] as number[] };
  const wrongShare = random.pick([0.05, 0.2, 0.5]);
  return Buffer.concat(
    Array.from({ length: 1 + random.int(12) }, () =>
      random.next() < wrongShare ? clientFrame(random) : wellFormedFrame(random, state),
    ),
  );
}

/** Sends `bytes` on a new connection; resolves when the server closes it or goes quiet. */
async function sendRaw(port: number, bytes: Buffer): Promise<{ headers: number; goaways: number }> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.write(Buffer.concat([CLIENT_START, bytes]));
  let buffer: Buffer = Buffer.alloc(0);
  let headers = 0;
  let goaways = 0;
  let quiet = setTimeout(() => socket.destroy(), 40);
  socket.on("data", (chunk: Buffer) => {
    const read = readFrames(Buffer.concat([buffer, chunk]));
    buffer = read.rest;
    for (const { type } of read.frames) {
      if (type === Type.Headers) headers++;
      if (type === Type.Goaway) goaways++;
    }
    clearTimeout(quiet);
    quiet = setTimeout(() => socket.destroy(), 40);
  });
  await once(socket, "close");
  clearTimeout(quiet);
  return { headers, goaways };
}

/** Runs `cases` calls of `run`, `PARALLEL` at a time. */
async function inParallel(cases: number, run: (index: number) => Promise<void>): Promise<void> {
  let index = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (index < cases) await run(index++);
    }),
  );
}

describe("the kit's HTTP/2 server fed generated frames", () => {
  const opened = new Set<ServerStream>();
  const settled = new Set<ServerStream>();
  const server = createHttp2Server({
    maxConcurrentStreams: 100,
    onStream(stream) {
      opened.add(stream);
      stream.hold();
      const chunks: Buffer[] = [];
      stream.listener = {
        onData: (chunk) => chunks.push(chunk),
        onEnd: () => {
          stream.respond({ ":status": 200 });
          stream.end(Buffer.concat(chunks), { "grpc-status": 0 });
          stream.release();
          settled.add(stream);
        },
        onClose: () => {
          stream.release();
          settled.add(stream);
        },
      };
    },
  });
  after(() => {
    server.server.close();
    server.destroy();
  });

  test("answers or drops every connection, leaves nothing open, and still serves", async () => {
    server.server.listen(0, "127.0.0.1");
    await once(server.server, "listening");
    const { port } = server.server.address() as net.AddressInfo;
    const random = seededRandom(SEED);
    const inputs = Array.from({ length: SERVER_CASES }, () => clientFrames(random));
    let answered = 0;
    let refused = 0;
    await inParallel(SERVER_CASES, async (index) => {
      const { headers, goaways } = await sendRaw(port, inputs[index] as Buffer);
      answered += headers;
      refused += goaways;
    });
    // Both sides of the server were reached: streams answered, connections refused.
    assert.ok(answered >= 20, `only ${answered} answers (seed ${SEED})`);
    assert.ok(refused >= 50, `only ${refused} GOAWAYs (seed ${SEED})`);
    for (let waited = 0; server.connections.size > 0 && waited < 2_000; waited += 20) await sleep(20);
    assert.equal(server.connections.size, 0, `connections left open (seed ${SEED})`);
    const unsettled = [...opened].filter((stream) => !settled.has(stream));
    assert.equal(unsettled.length, 0, `streams never answered nor closed (seed ${SEED})`);

    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/after" });
      stream.end(Buffer.from("still here"));
      const [response] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      assert.equal(response[":status"], 200);
      assert.equal(Buffer.concat(chunks).toString(), "still here");
    } finally {
      session.destroy();
    }
  });
});

describe("the kit's gRPC client against a server answering generated frames", () => {
  const fields = (entries: readonly (readonly [string, string])[]) => {
    const writer = new HpackLiteralWriter();
    for (const [name, value] of entries) writer.add(name, value, name.startsWith(":"));
    return writer.toBuffer();
  };
  const message = encodeFrame(
    toBinary(
      HealthCheckResponseSchema,
      create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
    ),
  );
  /** A whole, correct answer to the first request of a connection, frame by frame. */
  const answer = () => [
    frame(Type.Settings, 0, 0, Buffer.alloc(0)),
    frame(Type.Settings, 0x1, 0, Buffer.alloc(0)),
    frame(
      Type.Headers,
      0x4,
      1,
      fields([
        [":status", "200"],
        ["content-type", "application/grpc"],
      ]),
    ),
    frame(Type.Data, 0, 1, message),
    frame(Type.Headers, 0x5, 1, fields([["grpc-status", "0"]])),
  ];
  /** The answer with some frames dropped, repeated, mangled or moved, or the socket closed early. */
  function garbled(random: SeededRandom): { bytes: Buffer; hangUp: boolean } {
    const frames = answer();
    for (let n = 1 + random.int(3); n > 0; n--) {
      const at = random.int(frames.length);
      switch (random.int(7)) {
        case 0:
          frames.splice(at, 1);
          break;
        case 1:
          frames.splice(at, 0, frames[at] as Buffer);
          break;
        case 2:
          frames[at] = mangle(random, frames[at] as Buffer);
          break;
        case 3:
        case 6:
          frames.splice(at, 0, clientFrame(random));
          break;
        case 4: {
          const moved = frames.splice(at, 1);
          frames.splice(random.int(frames.length + 1), 0, ...moved);
          break;
        }
        default:
          frames.splice(
            at,
            0,
            frame(Type.Headers, 0x5, 1, fields([["grpc-status", random.pick(["2", "x", "99", "14"])]])),
          );
      }
    }
    return { bytes: Buffer.concat(frames), hangUp: random.next() < 0.2 };
  }

  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  after(() => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) server.close();
  });

  /** A server answering each connection's first request with `reply`'s bytes. */
  async function rawServer(reply: () => { bytes: Buffer; hangUp: boolean }) {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      let received = 0;
      let answered = false;
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        // The preface, the client's SETTINGS and its request's first frame have come.
        if (answered || received < 24 + 9 + 9) return;
        answered = true;
        const { bytes, hangUp } = reply();
        socket.write(bytes);
        if (hangUp) socket.end();
      });
      // A client that gives up closes its side: close ours too.
      socket.on("end", () => socket.destroy());
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return (server.address() as net.AddressInfo).port;
  }

  async function call(port: number): Promise<"ok" | "error"> {
    const transport = createGrpcHttp2Transport({
      baseUrl: `http://127.0.0.1:${port}`,
      defaultTimeoutMs: 300,
    });
    try {
      const deadline = sleep(3_000).then(() => "unsettled" as const);
      const outcome = await Promise.race([
        transport.unary(Health.method.check, undefined, undefined, undefined, {}).then(
          (response) => {
            assert.equal(response.message.status, HealthCheckResponse_ServingStatus.SERVING);
            return "ok" as const;
          },
          (error: unknown) => {
            assert.ok(error instanceof ConnectError, `not a ConnectError: ${String(error)}`);
            return "error" as const;
          },
        ),
        deadline,
      ]);
      assert.notEqual(outcome, "unsettled", "a call never settled");
      return outcome as "ok" | "error";
    } finally {
      transport.close();
    }
  }

  test("settles every call, with a response or a ConnectError, and still calls a sound server", async () => {
    const random = seededRandom(SEED + 1);
    const replies = Array.from({ length: CLIENT_CASES }, () => garbled(random));
    let next = 0;
    const port = await rawServer(() => replies[next++] ?? { bytes: Buffer.alloc(0), hangUp: true });
    const outcomes = { ok: 0, error: 0 };
    await inParallel(CLIENT_CASES, async () => {
      outcomes[await call(port)]++;
    });
    assert.ok(outcomes.error >= 30, `only ${outcomes.error} failed calls (seed ${SEED})`);
    assert.ok(outcomes.ok >= 5, `only ${outcomes.ok} calls got through (seed ${SEED})`);

    const sound = await rawServer(() => ({ bytes: Buffer.concat(answer()), hangUp: false }));
    assert.equal(await call(sound), "ok");
  });
});
