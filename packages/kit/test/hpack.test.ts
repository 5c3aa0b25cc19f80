import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { describe, test } from "node:test";
import { HpackDecoder, HpackError, HpackLiteralWriter, integerBytes } from "../src/hpack.ts";
import { decodeHuffman, HUFFMAN_CODES, HUFFMAN_LENGTHS } from "../src/hpack-huffman.ts";
import { CLIENT_START, frame, readFrames, requestHeaderBlock } from "./raw-http2.ts";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("HPACK Huffman code", () => {
  test("is RFC 7541's: a complete prefix code with the appendix's codes", () => {
    // Kraft's sum of a complete code is exactly 1.
    const kraft = HUFFMAN_LENGTHS.reduce((sum, length) => sum + 2 ** -length, 0);
    assert.equal(kraft, 1);
    const code = (symbol: number) => [HUFFMAN_CODES[symbol], HUFFMAN_LENGTHS[symbol]];
    assert.deepEqual(code(0), [0x1ff8, 13]);
    assert.deepEqual(code(10), [0x3ffffffc, 30]);
    assert.deepEqual(code("0".charCodeAt(0)), [0x0, 5]);
    assert.deepEqual(code(" ".charCodeAt(0)), [0x14, 6]);
    assert.deepEqual(code("a".charCodeAt(0)), [0x3, 5]);
    assert.deepEqual(code(256), [0x3fffffff, 30]);
  });

  test("decodes the RFC's example and refuses EOS and bad padding", () => {
    const example = hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff");
    assert.equal(decodeHuffman(example, 0, example.length), "www.example.com");
    // "0" (00000) padded with zeros instead of ones.
    assert.throws(() => decodeHuffman(Buffer.of(0x00), 0, 1), /padding/);
    // Eight or more bits of padding.
    assert.throws(() => decodeHuffman(Buffer.of(0x07, 0xff), 0, 2), /padding/);
    // EOS itself (30 ones) inside the string.
    assert.throws(() => decodeHuffman(Buffer.of(0xff, 0xff, 0xff, 0xff), 0, 4), /EOS/);
  });
});

describe("HPACK decoder", () => {
  test("reads the RFC's three requests with Huffman strings and a shared dynamic table", () => {
    const decoder = new HpackDecoder();
    assert.deepEqual(decoder.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")), {
      ":method": "GET",
      ":scheme": "http",
      ":path": "/",
      ":authority": "www.example.com",
    });
    assert.deepEqual(decoder.decode(hex("8286 84be 5886 a8eb 1064 9cbf")), {
      ":method": "GET",
      ":scheme": "http",
      ":path": "/",
      ":authority": "www.example.com",
      "cache-control": "no-cache",
    });
    assert.deepEqual(decoder.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")), {
      ":method": "GET",
      ":scheme": "https",
      ":path": "/index.html",
      ":authority": "www.example.com",
      "custom-key": "custom-value",
    });
  });

  test("gathers a repeated name's values into an array", () => {
    const block = new HpackLiteralWriter().add("x-a", "1").add("x-b", "2").add("x-a", "3").toBuffer();
    assert.deepEqual(new HpackDecoder().decode(block), { "x-a": ["1", "3"], "x-b": "2" });
  });

  test("evicts the oldest entries when the table is full, and follows size updates", () => {
    const decoder = new HpackDecoder(100);
    // Literal with incremental indexing, new name: 0x40, then name and value.
    const indexed = (name: string, value: string) =>
      Buffer.concat([
        Buffer.of(0x40, name.length),
        Buffer.from(name),
        Buffer.of(value.length),
        Buffer.from(value),
      ]);
    decoder.decode(indexed("x-first", "a".repeat(20))); // 7 + 20 + 32 = 59 bytes
    decoder.decode(indexed("x-second", "b".repeat(20))); // 60 more: the first is evicted
    assert.deepEqual(decoder.decode(Buffer.of(0x80 | 62)), { "x-second": "b".repeat(20) });
    assert.throws(() => decoder.decode(Buffer.of(0x80 | 63)), HpackError);
    // A size update to 0 empties the table; one over the limit is refused.
    assert.deepEqual(decoder.decode(Buffer.of(0x20)), {});
    assert.throws(() => decoder.decode(Buffer.of(0x80 | 62)), HpackError);
    assert.throws(
      () => decoder.decode(Buffer.concat([Buffer.of(0x3f), integerBytes(101 - 31, 7, 0)])),
      HpackError,
    );
  });

  test("refuses malformed blocks", () => {
    const decoder = new HpackDecoder();
    for (const block of [
      Buffer.of(0x80), // index 0
      Buffer.of(0xff, 0x80, 0x80, 0x80, 0x80, 0x01), // an integer far too large
      Buffer.of(0xff), // a truncated integer
      Buffer.of(0x00, 0x05, 0x61), // a truncated name
      Buffer.of(0x82, 0x20), // a size update after a field
    ]) {
      assert.throws(() => decoder.decode(block), HpackError, block.toString("hex"));
    }
  });

  test("refuses a header list over its limit", () => {
    const block = new HpackLiteralWriter().add("x-big", "v".repeat(200)).toBuffer();
    assert.throws(() => new HpackDecoder(4096, 100).decode(block), /too large/);
  });
});

describe("HPACK literal writer", () => {
  test("writes integers as RFC 7541 section 5.1 does", () => {
    assert.deepEqual(integerBytes(10, 5, 0), Buffer.of(0x0a));
    assert.deepEqual(integerBytes(1337, 5, 0), Buffer.of(0x1f, 0x9a, 0x0a));
    assert.deepEqual(integerBytes(42, 8, 0), Buffer.of(0x2a));
    assert.deepEqual(integerBytes(127, 7, 0x80), Buffer.of(0xff, 0x00));
  });

  test("refuses what HTTP/2 cannot carry", () => {
    const writer = new HpackLiteralWriter();
    assert.throws(() => writer.add("X-Upper", "v"), TypeError);
    assert.throws(() => writer.add(":path", "/"), TypeError);
    assert.throws(() => writer.add("connection", "close"), TypeError);
    assert.throws(() => writer.add("x-ok", "line\r\nbreak"), TypeError);
    assert.throws(() => writer.addIndexed(":method", "PATCH"), TypeError);
  });
});

/**
 * Header blocks from a real, independent encoder: nghttp2, inside node:http2.
 * A bare socket speaks just enough HTTP/2 to receive a server's responses.
 */
describe("HPACK decoder against node:http2's encoder", () => {
  test("decodes random fields, every name of the static table, and the table's evictions", async () => {
    const staticNames = [
      "accept-charset",
      "accept-encoding",
      "accept-language",
      "accept-ranges",
      "accept",
      "access-control-allow-origin",
      "age",
      "allow",
      "cache-control",
      "content-disposition",
      "content-encoding",
      "content-language",
      "content-location",
      "content-range",
      "content-type",
      "etag",
      "expires",
      "from",
      "last-modified",
      "link",
      "location",
      "max-forwards",
      "proxy-authenticate",
      "refresh",
      "retry-after",
      "server",
      "set-cookie",
      "strict-transport-security",
      "vary",
      "via",
      "www-authenticate",
    ];
    let seed = 7;
    const random = (limit: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % limit;
    };
    // Every byte a header value may hold: tab, printable ASCII and the high half.
    const valueBytes = [
      9,
      ...Array.from({ length: 95 }, (_, i) => 32 + i),
      ...Array.from({ length: 128 }, (_, i) => 128 + i),
    ];
    const randomValue = () => {
      let value = "";
      const length = 1 + random(60);
      for (let i = 0; i < length; i++)
        value += String.fromCharCode(valueBytes[random(valueBytes.length)] as number);
      // Leading or trailing whitespace is not kept by every peer.
      return `v${value}v`;
    };
    const sent: Record<string, string>[] = [];
    for (let i = 0; i < 40; i++) {
      const fields: Record<string, string> = {};
      for (const name of staticNames) if (random(3) === 0) fields[name] = randomValue();
      // Repeated values on a few fixed names exercise the dynamic table's hits and evictions.
      fields[`x-fixed-${random(4)}`] = random(2) === 0 ? "same every time" : randomValue();
      fields["x-random"] = randomValue();
      fields["x-status"] = String(i);
      sent.push(fields);
    }

    const server = http2.createServer();
    let next = 0;
    server.on("stream", (stream: http2.ServerHttp2Stream) => {
      stream.respond({ ":status": 200, ...sent[next++] }, { endStream: true });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    try {
      const decoded = await requestAll(port, sent.length);
      assert.equal(decoded.length, sent.length);
      decoded.forEach((fields, i) => {
        const expected = sent[i] as Record<string, string>;
        for (const [name, value] of Object.entries(expected))
          assert.equal(fields[name], value, `${i}: ${name}`);
        assert.equal(fields[":status"], "200");
      });
    } finally {
      server.close();
    }
  });
});

/** Makes `count` GET requests one after another on a raw socket and decodes each response's headers. */
async function requestAll(port: number, count: number) {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(CLIENT_START);
  const decoder = new HpackDecoder();
  const decoded: Record<string, string | string[]>[] = [];
  let buffer: Buffer = Buffer.alloc(0);
  let block: Buffer[] = [];
  const request = (id: number) => socket.write(frame(1, 0x4 | 0x1, id, requestHeaderBlock("/", "GET")));
  request(1);
  for await (const chunk of socket) {
    const { frames, rest } = readFrames(Buffer.concat([buffer, chunk as Buffer]));
    buffer = rest;
    for (const { type, flags, payload } of frames) {
      if (type === 4 && (flags & 1) === 0) socket.write(frame(4, 1, 0, Buffer.alloc(0)));
      if (type !== 1 && type !== 9) continue;
      block.push(payload);
      if ((flags & 0x4) === 0) continue;
      decoded.push(decoder.decode(Buffer.concat(block)));
      block = [];
      if (decoded.length === count) {
        socket.destroy();
        return decoded;
      }
      request(decoded.length * 2 + 1);
    }
  }
  return decoded;
}
