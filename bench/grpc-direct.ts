/**
 * Scenario (a) straight to the product service over gRPC, without the gateway:
 * the difference from the REST figure is what the gateway itself costs.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import type { Catalog } from "./catalog.ts";
import { createLatencyHistogram } from "./latency-histogram.ts";
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

/** Calls GetProduct on random products for `durationSeconds` and summarises the run. */
export async function runGrpcProductLoad(catalog: Catalog, options: GrpcLoadOptions): Promise<LoadOutcome> {
  // One transport per HTTP/2 connection: each keeps its own session.
  const clients = Array.from({ length: Math.max(1, options.sessions) }, () =>
    createClient(ProductService, createGrpcTransport({ baseUrl: options.baseUrl, defaultTimeoutMs: 10_000 })),
  );
  const histogram = createLatencyHistogram();
  const statuses: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;

  const worker = async (index: number) => {
    const client = clients[index % clients.length];
    if (client === undefined) return;
    while (performance.now() < deadline) {
      const product = catalog.products[Math.floor(Math.random() * catalog.products.length)];
      const sent = performance.now();
      let status = "OK";
      try {
        await client.getProduct({ id: product?.id ?? "" });
      } catch (error) {
        const code = error instanceof ConnectError ? error.code : Code.Unknown;
        if (code === Code.Unavailable || code === Code.DeadlineExceeded) errors++;
        status = Code[code];
      }
      histogram.record(performance.now() - sent);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  const durationSeconds = (performance.now() - started) / 1000;
  return {
    requests: histogram.count,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    latencyMs: {
      p50: histogram.percentile(50),
      p90: histogram.percentile(90),
      p99: histogram.percentile(99),
    },
    statuses,
    failures: histogram.count - (statuses.OK ?? 0),
    errors,
  };
}
