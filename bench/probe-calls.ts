/**
 * What both transport probes share: ways to call grpc.health.v1 Check with
 * clients that are not ours, and the loop that keeps a number of calls in flight.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

type GrpcCheck = (request: object, callback: (error: Error | null) => void) => void;
type HealthConstructor = new (address: string, credentials: grpc.ChannelCredentials) => { check: GrpcCheck };
type HealthPackage = {
  grpc: { health: { v1: { Health: HealthConstructor & { service: grpc.ServiceDefinition } } } };
};

/** grpc.health.v1 loaded by grpc-js from our .proto (its service definition and client). */
export const grpcJsHealth = () =>
  (
    grpc.loadPackageDefinition(
      protoLoader.loadSync(join(import.meta.dirname, "..", "proto", "grpc", "health", "v1", "health.proto")),
    ) as unknown as HealthPackage
  ).grpc.health.v1.Health;

/** One Check call at a time through a grpc-js client. */
export function grpcJsCheck(port: number): () => Promise<unknown> {
  const client = new (grpcJsHealth())(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return () =>
    new Promise((resolve, reject) => client.check({}, (error) => (error ? reject(error) : resolve(0))));
}

/** Check calls over a bare node:http2 session: gRPC framing with nothing else. */
export function bareHttp2Check(port: number): () => Promise<unknown> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
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
      // An empty HealthCheckRequest: one uncompressed frame of length 0.
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
}

/**
 * The same call as a bare HTTP/1.1 POST on a keep-alive connection (what an
 * internal hop would cost without HTTP/2): one connection per call in flight.
 */
export function bareHttp1Check(port: number, connections: number): () => Promise<unknown> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return () =>
    new Promise((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port, agent, method: "POST", path: "/grpc.health.v1.Health/Check" },
        (response) => {
          response.resume();
          response.on("end", () => resolve(0));
        },
      );
      request.on("error", reject);
      request.setHeader("content-type", "application/proto");
      request.end(Buffer.alloc(0));
    });
}

/** Calls for `seconds` with `concurrency` calls in flight, spread over `calls`; returns calls made. */
export async function driveCalls(
  calls: readonly (() => Promise<unknown>)[],
  seconds: number,
  concurrency: number,
): Promise<number> {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (performance.now() < end) {
        await calls[i % calls.length]?.();
        count++;
      }
    }),
  );
  return count;
}
