/**
 * Requests at the edges of HTTP: what Node's parser or Fastify would answer
 * on their own (bad percent-encoding, oversized headers, malformed requests),
 * content types and encodings, preflights without allowed origins, and the
 * headers of 401s. Every answer is a google.rpc.Status with the headers of
 * every response.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import type { GrpcServer } from "@skyros/kit/grpc-server";
import type { RunningGateway } from "../src/gateway.ts";
import { MAX_JSON_DEPTH, MAX_JSON_VALUES } from "../src/json-nesting.ts";
import { startLibraryServer } from "./library-server.ts";
import { call, createTestTokens, startTestGateway } from "./test-gateway.ts";

let library: GrpcServer;
let gateway: RunningGateway;

before(async () => {
  library = await startLibraryServer();
  gateway = await startTestGateway(`http://127.0.0.1:${library.port}`, await createTestTokens());
});

after(async () => {
  await gateway?.close();
  await library?.close();
});

/** Sends bytes as they are and reads the whole answer (the gateway closes the connection). */
function rawExchange(
  request: string,
  port = gateway.port,
): Promise<{ status: number; headers: Map<string, string>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    // A gateway that never answers fails the test instead of hanging it.
    socket.setTimeout(5_000, () => socket.destroy());
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", body = ""] = text.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = new Map(
        lines.map((line) => [
          line.slice(0, line.indexOf(":")).toLowerCase(),
          line.slice(line.indexOf(":") + 1).trim(),
        ]),
      );
      resolve({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: body === "" ? undefined : JSON.parse(body),
      });
    });
  });
}

const assertStatusShape = (body: unknown, code: number) => {
  const status = body as { code: number; message: string; details: unknown[] };
  assert.equal(status.code, code);
  assert.equal(typeof status.message, "string");
  assert.deepEqual(status.details, []);
};

test("bad percent-encoding in the path: a 400 Status with the usual headers", async () => {
  const response = await call(gateway, "GET", "/v1/books/%zz");
  assert.equal(response.status, 400);
  assertStatusShape(response.body, 3);
  assert.match(response.body.message, /percent-encoding/);
  assert.doesNotMatch(response.text, /FST_|fastify/i);
  assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  const metrics = await call(gateway, "GET", "/metrics");
  assert.match(
    metrics.text,
    /^http_request_errors_total\{method="GET",route="unmatched",status="400"\} \d+$/m,
  );
});

test("headers too large: a 431 Status, then the connection closes", async () => {
  const response = await rawExchange(
    `GET /v1/books/b1 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${"a".repeat(20_000)}\r\n\r\n`,
  );
  assert.equal(response.status, 431);
  assertStatusShape(response.body, 3);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(response.headers.get("connection"), "close");
});

test("a request that takes too long to arrive, or never starts, is a 408 Status, then the connection closes", async () => {
  const strict = await startTestGateway(`http://127.0.0.1:${library.port}`, await createTestTokens(), {
    GATEWAY_REQUEST_TIMEOUT_MS: "300",
  });
  try {
    const started = Date.now();
    const answers = await Promise.all([
      rawExchange("", strict.port),
      rawExchange("GET /v1/books/b1 HTTP/1.1\r\nhost: x\r\n", strict.port),
      rawExchange(
        'POST /v1/shelves/s1/books HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":',
        strict.port,
      ),
    ]);
    // Expired requests are looked for every quarter of the limit.
    assert.ok(Date.now() - started < 2_000, `answered after ${Date.now() - started} ms`);
    for (const response of answers) {
      assert.equal(response.status, 408);
      assertStatusShape(response.body, 3);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("connection"), "close");
    }
    // A request that arrives in time is served as usual.
    assert.equal((await call(strict, "GET", "/v1/books/b1")).status, 200);
  } finally {
    await strict.close();
  }
});

test("a malformed request: a 400 Status", async () => {
  const response = await rawExchange("FOO /v1/books/b1 HTTP/1.1\r\nhost: x\r\n\r\n");
  assert.equal(response.status, 400);
  assertStatusShape(response.body, 3);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
});

test("an unknown path is a 404 whatever its body", async () => {
  const response = await call(gateway, "POST", "/v1/nowhere", {
    rawBody: "not json",
    headers: { "content-type": "text/plain" },
  });
  assert.equal(response.status, 404);
  assertStatusShape(response.body, 5);
});

test("an unknown path's body is not read: the answer comes at once and the connection closes", async () => {
  const started = performance.now();
  const response = await rawExchange(
    "POST /v1/nowhere HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 200000000\r\n\r\n{",
  );
  assert.equal(response.status, 404);
  assert.equal(response.headers.get("connection"), "close");
  assert.ok(performance.now() - started < 5_000);
});

test("requests refused before their body is read still count against the general limit", async () => {
  const limited = await startTestGateway(`http://127.0.0.1:${library.port}`, await createTestTokens(), {
    GATEWAY_RATE_LIMIT_GENERAL_MAX: "2",
  });
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(limited, "POST", "/v1/nowhere")).status);
    assert.deepEqual(statuses, [404, 404, 429]);
  } finally {
    await limited.close();
  }
});

test("bodies: JSON and +json types, or no type at all; anything else is a 415", async () => {
  const book = JSON.stringify({ title: "Dune" });
  for (const type of [
    "application/json",
    "application/json; charset=utf-8",
    "application/merge-patch+json",
  ]) {
    const response = await call(gateway, "POST", "/v1/shelves/s1/books", {
      rawBody: book,
      headers: { "content-type": type },
    });
    assert.equal(response.status, 200, type);
    assert.equal(response.body.title, "Dune");
  }
  const untyped = await fetch(`${gateway.url}/v1/shelves/s1/books`, {
    method: "POST",
    body: new TextEncoder().encode(book),
  });
  assert.equal(untyped.status, 200);
  assert.equal(((await untyped.json()) as { title: string }).title, "Dune");

  for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
    const response = await call(gateway, "POST", "/v1/shelves/s1/books", {
      rawBody: book,
      headers: { "content-type": type },
    });
    assert.equal(response.status, 415, type);
    assertStatusShape(response.body, 3);
    assert.match(response.body.message, /send application\/json/);
  }
});

test("a compressed body is a 415, and a malformed one is described in plain characters", async () => {
  const gzip = await call(gateway, "POST", "/v1/shelves/s1/books", {
    rawBody: '{"title":"Dune"}',
    headers: { "content-encoding": "gzip" },
  });
  assert.equal(gzip.status, 415);
  assert.match(gzip.body.message, /content-encoding gzip is not supported/);

  const binary = await call(gateway, "POST", "/v1/shelves/s1/books", {
    rawBody: "\u001f\u008b\u0008\u0000garbage",
  });
  assert.equal(binary.status, 400);
  assert.match(binary.body.message, /^malformed JSON body: [\x20-\x7e]+$/);
});

test("a body that is not UTF-8, or says it is in another charset, is refused, not stored garbled", async () => {
  const bytes = Buffer.concat([Buffer.from('{"title":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]);
  const garbled = await fetch(`${gateway.url}/v1/shelves/s1/books`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: bytes,
  });
  assert.equal(garbled.status, 400);
  const garbledBody = (await garbled.json()) as { code: number; message: string };
  assertStatusShape(garbledBody, 3);
  assert.equal(garbledBody.message, "malformed JSON body: not valid UTF-8");

  for (const type of ["application/json; charset=latin1", 'application/json; charset="utf-16"']) {
    const response = await call(gateway, "POST", "/v1/shelves/s1/books", {
      rawBody: '{"title":"Dune"}',
      headers: { "content-type": type },
    });
    assert.equal(response.status, 415, type);
    assertStatusShape(response.body, 3);
    assert.match(response.body.message, /^charset [\w-]+ is not supported; send UTF-8$/);
  }
  const utf8 = await call(gateway, "POST", "/v1/shelves/s1/books", {
    rawBody: '{"title":"Düné"}',
    headers: { "content-type": "application/json; Charset=UTF8" },
  });
  assert.equal(utf8.status, 200);
  assert.equal(utf8.body.title, "Düné");
});

test("a body nested too deep or holding too many values is a 400 before it is parsed", async () => {
  const deep = `{"title":"Dune","extra":${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}}`;
  assert.equal((await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody: deep })).status, 400);
  const deepest = `{"title":"Dune","extra":${"[".repeat(MAX_JSON_DEPTH - 1)}${"]".repeat(MAX_JSON_DEPTH - 1)}}`;
  assert.equal((await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody: deepest })).status, 200);

  // A megabyte of brackets took JSON.parse over a second of the event loop's time.
  const bomb = await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody: "[".repeat(1_000_000) });
  assert.equal(bomb.status, 400);
  assertStatusShape(bomb.body, 3);
  assert.equal(
    bomb.body.message,
    `malformed JSON body: objects and arrays nested more than ${MAX_JSON_DEPTH} deep`,
  );

  const wide = JSON.stringify({ title: "Dune", extra: Array.from({ length: MAX_JSON_VALUES }, () => 0) });
  const tooWide = await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody: wide });
  assert.equal(tooWide.status, 400);
  assert.equal(tooWide.body.message, `malformed JSON body: more than ${MAX_JSON_VALUES} values`);
});

test("a body naming a field twice is a 400, not the last value silently", async () => {
  for (const rawBody of ['{"title":"Dune","title":"Emma"}', '{"title":"Dune","\\u0074itle":"Emma"}']) {
    const response = await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody });
    assert.equal(response.status, 400, rawBody);
    assertStatusShape(response.body, 3);
    assert.equal(response.body.message, 'malformed JSON body: duplicate field "title"');
  }
  const control = await call(gateway, "POST", "/v1/shelves/s1/books", {
    rawBody: '{"\\u0007":1,"\\u0007":2}',
  });
  assert.equal(control.status, 400);
  assert.equal(control.body.message, 'malformed JSON body: duplicate field "\\u0007"');
});

test("an int64 sent as a JSON number past 2^53 keeps its exact value, or is refused, never rounded", async () => {
  const exact = await call(gateway, "POST", "/v1/shelves/s1/books", {
    rawBody: '{"title":"Long","pages":9007199254740993}',
  });
  assert.equal(exact.status, 200);
  assert.equal(exact.body.pages, "9007199254740993");
  for (const pages of ["9.007199254740993e15", "9007199254740993.0"]) {
    const inexact = await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody: `{"pages":${pages}}` });
    assert.equal(inexact.status, 400, pages);
    assert.match(
      inexact.body.message,
      /^invalid value for field "book\.pages": .*past 2\^53 write the digits/,
    );
  }
  // Only integer fields read numbers as digits: a large number is still no string.
  const title = await call(gateway, "POST", "/v1/shelves/s1/books", {
    rawBody: '{"title":12345678901234567890}',
  });
  assert.equal(title.status, 400);
  assert.match(title.body.message, /^invalid value for field "book\.title": expected a string, got 1/);
});

test("a preflight is answered even when no origin is allowed, allowing none", async () => {
  const response = await call(gateway, "OPTIONS", "/v1/shelves/s1/books", {
    headers: { origin: "https://elsewhere.example", "access-control-request-method": "POST" },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), null);
});

test("a 401 names the Bearer scheme", async () => {
  const response = await call(gateway, "GET", "/v1/whoami");
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("www-authenticate"), "Bearer");
});
