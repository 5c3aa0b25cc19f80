/**
 * What one unary gRPC call costs in CPU, on each side, with four
 * implementations of the same call (grpc.health.v1 Check, in-memory answer):
 * Connect for Node (what the services used), the kit's own server (what they
 * use now), grpc-js, and bare node:http2 framing; and, for comparison, the same
 * bytes as a bare HTTP/1.1 exchange on keep-alive connections (what a hop
 * without HTTP/2 would cost at the least). Separates the transport's own
 * cost from the services' work. The kit's server is driven by the bare client,
 * as the bare server is, so that the two server columns compare alike (the
 * clients have their own probe, client-transport-probe.ts).
 *
 *   node bench/transport-probe.ts [seconds=5]
 */
import { fork } from "node:child_process";
import * as http from "node:http";
import * as http2 from "node:http2";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { startGrpcServer } from "@skyros/kit/grpc-server";
import { ServingStatus } from "@skyros/kit/health";
import { testLogger } from "@skyros/kit/testing";
import { processTarget } from "./cpu.ts";
import { bareHttp1Check, bareHttp2Check, driveCalls, grpcJsCheck, grpcJsHealth } from "./probe-calls.ts";

type Kind = "connect" | "kit" | "grpc-js" | "http2" | "http1";
const KINDS: readonly Kind[] = ["connect", "kit", "grpc-js", "http2", "http1"];
const CONCURRENCY = 32;
const SESSIONS = 4;

/** Serves Check with `kind` on a free port; resolves to the port. */
async function serve(kind: Kind): Promise<number> {
  if (kind === "kit") {
    // The kit's server answers Check from its own health service.
    const server = await startGrpcServer({
      host: "127.0.0.1",
      port: 0,
      logger: testLogger("probe"),
      routes: () => {},
      serviceCredential: "probe",
    });
    server.health.setAll(ServingStatus.SERVING);
    return server.port;
  }
  if (kind === "grpc-js") {
    const server = new grpc.Server();
    server.addService(grpcJsHealth().service, {
      check: (_call: unknown, callback: (error: null, response: object) => void) =>
        callback(null, { status: 1 }),
    });
    return new Promise((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
  }
  if (kind === "http1") {
    const server = http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/proto" });
        response.end(Buffer.from([8, 1]));
      });
    });
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
    );
  }
  const server =
    kind === "connect"
      ? http2.createServer(
          connectNodeAdapter({
            routes: (router) =>
              router.rpc(Health.method.check, () => ({ status: HealthCheckResponse_ServingStatus.SERVING })),
          }),
        )
      : http2.createServer().on("stream", (stream: http2.ServerHttp2Stream) => {
          stream.on("data", () => {});
          stream.on("end", () => {
            // SERVING (field 1 = 1), in a gRPC length-prefixed frame, then the OK trailer.
            stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
            stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
            stream.end(Buffer.from([0, 0, 0, 0, 2, 8, 1]));
          });
        });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
}

/** One call function per session of a `kind` client. */
function clients(kind: Kind, port: number): (() => Promise<unknown>)[] {
  return Array.from({ length: SESSIONS }, () => {
    if (kind === "connect") {
      const client = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      return () => client.check({});
    }
    if (kind === "grpc-js") return grpcJsCheck(port);
    // No multiplexing: each call in flight needs a connection of its own.
    if (kind === "http1") return bareHttp1Check(port, CONCURRENCY / SESSIONS);
    // "kit" and "http2": the bare client.
    return bareHttp2Check(port);
  });
}

if (process.argv[2] === "serve") {
  const port = await serve(process.argv[3] as Kind);
  process.send?.(port);
} else {
  const seconds = Number(process.argv[2] ?? 5);
  process.stdout.write(
    `unary call, ${CONCURRENCY} in flight over ${SESSIONS} HTTP/2 connections, ${seconds} s each\n`,
  );
  process.stdout.write("transport  calls/s  server µs/call  client µs/call\n");
  for (const kind of KINDS) {
    const child = fork(import.meta.filename, ["serve", kind], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    try {
      const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(Number(m))));
      const calls = clients(kind, port);
      await driveCalls(calls, 1, CONCURRENCY);
      const server = processTarget("server", () => child.pid);
      const client = processTarget("client", () => process.pid);
      const before = [server.seconds() ?? 0, client.seconds() ?? 0];
      const count = await driveCalls(calls, seconds, CONCURRENCY);
      const micros = (target: typeof server, start: number) =>
        String(Math.round((((target.seconds() ?? 0) - start) * 1e6) / count));
      process.stdout.write(
        `${kind.padEnd(9)}  ${String(Math.round(count / seconds)).padStart(7)}  ${micros(server, before[0] ?? 0).padStart(14)}  ${micros(client, before[1] ?? 0).padStart(14)}\n`,
      );
    } finally {
      child.kill();
    }
  }
  process.exit(0);
}
