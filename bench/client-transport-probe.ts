/**
 * What one unary gRPC call costs the CLIENT in CPU, with each client
 * transport calling the same server (Connect's Node adapter, in a child
 * process, answering grpc.health.v1 Check from memory): Connect's gRPC
 * transport, the kit's transport (its own HTTP/2 client), grpc-js, and bare node:http2
 * with no decoding at all (the floor). transport-probe.ts compares servers.
 *
 *   node bench/client-transport-probe.ts [seconds=5]
 */
import { fork } from "node:child_process";
import * as http2 from "node:http2";
import { createClient, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { createGrpcHttp2Transport } from "@skyros/kit/grpc-http2-transport";
import { bareHttp2Check, driveCalls, grpcJsCheck } from "./probe-calls.ts";

type Kind = "connect" | "kit" | "grpc-js" | "http2";
const KINDS: readonly Kind[] = ["connect", "kit", "grpc-js", "http2"];
const CONCURRENCY = 32;
const SESSIONS = 4;

/** One call function per session of a `kind` client. */
function clients(kind: Kind, port: number): (() => Promise<unknown>)[] {
  const baseUrl = `http://127.0.0.1:${port}`;
  return Array.from({ length: SESSIONS }, () => {
    if (kind === "connect" || kind === "kit") {
      const transport: Transport =
        kind === "connect" ? createGrpcTransport({ baseUrl }) : createGrpcHttp2Transport({ baseUrl });
      const client = createClient(Health, transport);
      return () => client.check({});
    }
    if (kind === "grpc-js") return grpcJsCheck(port);
    return bareHttp2Check(port);
  });
}

if (process.argv[2] === "serve") {
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.rpc(Health.method.check, () => ({ status: HealthCheckResponse_ServingStatus.SERVING })),
    }),
  );
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as { port: number }).port));
} else {
  const seconds = Number(process.argv[2] ?? 5);
  process.stdout.write(
    `unary call to a Connect server, ${CONCURRENCY} in flight over ${SESSIONS} HTTP/2 connections, ${seconds} s each\n`,
  );
  process.stdout.write("client     calls/s  client µs/call\n");
  const child = fork(import.meta.filename, ["serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(Number(m))));
    for (const kind of KINDS) {
      const calls = clients(kind, port);
      await driveCalls(calls, 1, CONCURRENCY);
      const before = process.cpuUsage();
      const count = await driveCalls(calls, seconds, CONCURRENCY);
      const used = process.cpuUsage(before);
      const micros = Math.round((used.user + used.system) / count);
      process.stdout.write(
        `${kind.padEnd(9)}  ${String(Math.round(count / seconds)).padStart(7)}  ${String(micros).padStart(14)}\n`,
      );
    }
  } finally {
    child.kill();
  }
  process.exit(0);
}
