/**
 * Scenario (a) straight to the product service over gRPC, without the gateway:
 * the difference from the REST figure is what the gateway itself costs. Two
 * clients: Connect's (what the services use to call each other), and a minimal
 * one on node:http2 that frames the messages itself, so that the load
 * generator, which shares the machine's cores, takes as little CPU from the
 * service as autocannon does in the REST runs.
 */
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GetProductRequestSchema, ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { encodeFrame } from "@skyros/kit/grpc-framing";
import type { Catalog } from "./catalog.ts";
import { createLatencyHistogram, latencySummary } from "./latency-histogram.ts";
import type { LoadOutcome } from "./measure.ts";

export interface GrpcLoadOptions {
  /** e.g. http://127.0.0.1:4022 */
  readonly baseUrl: string;
  /** Calls in flight at any time (the REST runs' connections). */
  readonly concurrency: number;
  /** HTTP/2 connections the calls are spread over. */
  readonly sessions: number;
  readonly durationSeconds: number;
}

/** One call by worker `worker`; resolves to its gRPC status name. */
type Call = (worker: number) => Promise<string>;

/** Keeps `concurrency` calls in flight until the time is up, and summarises them. */
async function runCallLoop(options: GrpcLoadOptions, call: Call): Promise<LoadOutcome> {
  const histogram = createLatencyHistogram();
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const worker = async (index: number) => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const status = await call(index);
      histogram.record(performance.now() - sent);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  const durationSeconds = (performance.now() - started) / 1000;
  const noResponse = (statuses[Code[Code.Unavailable]] ?? 0) + (statuses[Code[Code.DeadlineExceeded]] ?? 0);
  return {
    requests: histogram.count,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    latencyMs: latencySummary(histogram),
    statuses,
    failures: histogram.count - (statuses.OK ?? 0) - noResponse,
    errors: noResponse,
  };
}

const randomProductId = (catalog: Catalog) =>
  catalog.products[Math.floor(Math.random() * catalog.products.length)]?.id ?? "";

/** GetProduct on random products with Connect's gRPC client. */
export async function runGrpcProductLoad(catalog: Catalog, options: GrpcLoadOptions): Promise<LoadOutcome> {
  // One transport per HTTP/2 connection: each keeps its own session.
  const clients = Array.from({ length: Math.max(1, options.sessions) }, () =>
    createClient(ProductService, createGrpcTransport({ baseUrl: options.baseUrl, defaultTimeoutMs: 10_000 })),
  );
  return runCallLoop(options, async (worker) => {
    try {
      await clients[worker % clients.length]?.getProduct({ id: randomProductId(catalog) });
      return "OK";
    } catch (error) {
      return Code[error instanceof ConnectError ? error.code : Code.Unknown];
    }
  });
}

const GET_PRODUCT_PATH = `/${ProductService.typeName}/${ProductService.method.getProduct.name}`;

/** A unary gRPC call on an HTTP/2 session: one framed message out, the status back. */
function rawUnary(session: http2.ClientHttp2Session, frame: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const stream = session.request({
      ":method": "POST",
      ":path": GET_PRODUCT_PATH,
      "content-type": "application/grpc+proto",
      te: "trailers",
      "grpc-timeout": "10S",
    });
    let status: string | undefined;
    const statusOf = (headers: http2.IncomingHttpHeaders) => {
      const code = headers["grpc-status"];
      // Connect's Code has no member for 0 (OK).
      if (code !== undefined) status = code === "0" ? "OK" : (Code[Number(code)] ?? String(code));
    };
    stream.on("response", statusOf);
    stream.on("trailers", statusOf);
    stream.on("data", () => {});
    stream.on("close", () => resolve(status ?? Code[Code.Unavailable]));
    stream.on("error", () => {});
    stream.end(frame);
  });
}

/** GetProduct on random products with a minimal node:http2 gRPC client. */
export async function runRawGrpcProductLoad(
  catalog: Catalog,
  options: GrpcLoadOptions,
): Promise<LoadOutcome> {
  const sessions = Array.from({ length: Math.max(1, options.sessions) }, () =>
    http2.connect(options.baseUrl),
  );
  for (const session of sessions) session.on("error", () => {});
  // Every request framed before the run: the client's own work stays out of the cores it shares.
  const frames = catalog.products.map(({ id }) =>
    encodeFrame(toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id }))),
  );
  try {
    return await runCallLoop(options, (worker) => {
      const session = sessions[worker % sessions.length];
      const frame = frames[Math.floor(Math.random() * frames.length)];
      return session === undefined || frame === undefined
        ? Promise.resolve("Unavailable")
        : rawUnary(session, frame);
    });
  } finally {
    for (const session of sessions) session.close();
  }
}
