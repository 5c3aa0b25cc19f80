/**
 * What one unary gRPC call costs the CLIENT in CPU, with each client
 * transport calling the same server (Connect's Node adapter, in a child
 * process, answering grpc.health.v1 Check from memory): Connect's gRPC
 * transport, the kit's node:http2 transport, grpc-js, and bare node:http2
 * with no decoding at all (the floor). transport-probe.ts compares servers.
 *
 *   node bench/client-transport-probe.ts [seconds=5]
 */
import { fork } from "node:child_process";
import * as http2 from "node:http2";
import { join } from "node:path";
import { createClient, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { createGrpcHttp2Transport } from "@skyros/kit/grpc-http2-transport";

type Kind = "connect" | "kit" | "grpc-js" | "http2";
const KINDS: readonly Kind[] = ["connect", "kit", "grpc-js", "http2"];
const CONCURRENCY = 32;
const SESSIONS = 4;

type GrpcCheck = (request: object, callback: (error: Error | null) => void) => void;
type HealthConstructor = new (address: string, credentials: grpc.ChannelCredentials) => { check: GrpcCheck };

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
    if (kind === "grpc-js") {
      const definition = protoLoader.loadSync(
        join(import.meta.dirname, "..", "proto", "grpc", "health", "v1", "health.proto"),
      );
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        grpc: { health: { v1: { Health: HealthConstructor } } };
      };
      const client = new loaded.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      return () =>
        new Promise((resolve, reject) => client.check({}, (error) => (error ? reject(error) : resolve(0))));
    }
    const session = http2.connect(baseUrl);
    return () =>
      new Promise((resolve) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/grpc.health.v1.Health/Check",
          "content-type": "application/grpc",
          te: "trailers",
        });
        stream.on("data", () => {});
        stream.on("close", () => resolve(0));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
  });
}

/** Calls for `seconds` with CONCURRENCY in flight; returns calls made. */
async function drive(calls: (() => Promise<unknown>)[], seconds: number): Promise<number> {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      while (performance.now() < end) {
        await calls[i % calls.length]?.();
        count++;
      }
    }),
  );
  return count;
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
      await drive(calls, 1);
      const before = process.cpuUsage();
      const count = await drive(calls, seconds);
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
