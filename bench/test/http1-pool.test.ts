/**
 * The paced load's HTTP/1.1 client against real node:http servers: answers
 * with a length or chunked, keep-alive within the connection limit, bodies
 * sent intact, and failures (a dropped connection, no answer) reported per
 * request without stopping the others.
 */
import assert from "node:assert/strict";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { chunkedBodyLength, createHttp1Pool, parseResponseHead } from "../http1-pool.ts";

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

/** A server on a free port; counts the connections it accepted. */
async function serve(handler: RequestListener): Promise<{ url: string; connections: () => number }> {
  const server = createServer(handler);
  servers.push(server);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

test("a response head gives the status, the body's length or chunked, and connection: close", () => {
  assert.deepEqual(parseResponseHead("HTTP/1.1 201 Created\r\nContent-Length: 12\r\nX: y"), {
    status: 201,
    contentLength: 12,
    close: false,
  });
  assert.deepEqual(parseResponseHead("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nConnection: close"), {
    status: 200,
    contentLength: undefined,
    close: true,
  });
  assert.equal(parseResponseHead("HTTP/1.1 204 No Content\r\ntransfer-encoding: chunked").contentLength, 0);
  assert.throws(() => parseResponseHead("SSH-2.0-OpenSSH"), /not an HTTP\/1.1 status line/);
});

test("a chunked body's length is known only once its last chunk and trailers are in", () => {
  const body = Buffer.from("5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n");
  const data = Buffer.concat([Buffer.from("HEAD"), body]);
  assert.equal(chunkedBodyLength(data, 4), body.length);
  for (let cut = 4; cut < data.length; cut++) {
    assert.equal(chunkedBodyLength(data.subarray(0, cut), 4), undefined, `cut at ${cut}`);
  }
  const withTrailer = Buffer.from("0\r\nx-check: 1\r\n\r\n");
  assert.equal(chunkedBodyLength(withTrailer, 0), withTrailer.length);
  assert.throws(() => chunkedBodyLength(Buffer.from("zz\r\n"), 0), /malformed chunk size/);
  assert.throws(() => chunkedBodyLength(Buffer.from("2\r\nabXY0\r\n\r\n"), 0), /CRLF/);
});

test("keeps to its connections, queues the rest, and sends every body intact", async () => {
  let inFlight = 0;
  let mostInFlight = 0;
  const server = await serve((req, res) => {
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      setTimeout(() => {
        inFlight--;
        // 200 when the body is the one the path names (not split, not mixed up).
        const intact = Buffer.concat(parts).toString() === `body ${req.url?.slice("/echo/".length)} ✓`;
        res.writeHead(intact ? 200 : 400, { "content-length": 2 }).end("ok");
      }, 2);
    });
  });
  const pool = createHttp1Pool({ url: server.url, connections: 4 });
  const statuses = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      pool.send({
        method: "POST",
        path: `/echo/${i}`,
        headers: { "content-type": "text/plain" },
        body: `body ${i} ✓`,
      }),
    ),
  );
  pool.close();
  assert.deepEqual(new Set(statuses), new Set([200]));
  assert.equal(server.connections(), 4, "four connections, each kept alive");
  assert.equal(mostInFlight, 4);
});

test("reads chunked answers and answers that close the connection, then goes on", async () => {
  const server = await serve((req, res) => {
    if (req.url === "/chunked") {
      res.writeHead(202);
      res.write("part one, ");
      setTimeout(() => res.end("part two"), 2);
    } else {
      res.writeHead(404, { connection: "close", "content-length": 9 }).end("not found");
    }
  });
  const pool = createHttp1Pool({ url: server.url, connections: 1 });
  assert.equal(await pool.send({ method: "GET", path: "/chunked" }), 202);
  assert.equal(await pool.send({ method: "GET", path: "/chunked" }), 202);
  assert.equal(server.connections(), 1, "a chunked answer leaves the connection usable");
  assert.equal(await pool.send({ method: "GET", path: "/gone" }), 404);
  assert.equal(await pool.send({ method: "GET", path: "/chunked" }), 202);
  assert.equal(server.connections(), 2, "a new connection after connection: close");
  pool.close();
});

test("a dropped connection or a missing answer fails that request only", async () => {
  const server = await serve((req, res) => {
    if (req.url === "/drop") req.socket.destroy();
    else if (req.url !== "/silent") res.writeHead(200, { "content-length": 2 }).end("ok");
  });
  const pool = createHttp1Pool({ url: server.url, connections: 2, timeoutMs: 200 });
  await assert.rejects(pool.send({ method: "GET", path: "/drop" }), /closed the connection/);
  await assert.rejects(pool.send({ method: "GET", path: "/silent" }), /no complete answer within 200 ms/);
  assert.equal(await pool.send({ method: "GET", path: "/fine" }), 200);
  pool.close();
  await assert.rejects(pool.send({ method: "GET", path: "/fine" }), /closed/);
});
