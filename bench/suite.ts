/**
 * The scenarios in their order: reads first (reference, REST, direct gRPC),
 * then search, then orders (reference, peak, half of the peak), then the mix;
 * the stock invariant is checked after the order scenarios.
 */
import type { RequestStep } from "autocannon";
import type { RunningSystem, ServiceName } from "../scripts/system.ts";
import type { Catalog } from "./catalog.ts";
import type { BenchConfig } from "./config.ts";
import { type CpuTarget, processTarget, processTreeTarget } from "./cpu.ts";
import { runGrpcProductLoad, runRawGrpcProductLoad } from "./grpc-direct.ts";
import { runHttpLoad } from "./http-load.ts";
import { type LoadOutcome, measure, type ScenarioResult } from "./measure.ts";
import { type BenchBuyer, createOrderSteps, mixedSteps, productByIdSteps, searchSteps } from "./scenarios.ts";
import { checkStockInvariant, type StockInvariantReport } from "./stock-invariant.ts";

export interface SuiteInput {
  readonly config: BenchConfig;
  readonly system: RunningSystem;
  readonly catalog: Catalog;
  readonly buyers: readonly BenchBuyer[];
  readonly referenceUrl: string;
  readonly referencePid: number | undefined;
  readonly postmasterPid: number | undefined;
  readonly log: (line: string) => void;
}

export interface SuiteOutcome {
  readonly results: ScenarioResult[];
  readonly invariant: { after: string; report: StockInvariantReport }[];
}

/** Runs every scenario whose services are running. */
export async function runScenarios(input: SuiteInput): Promise<SuiteOutcome> {
  const { config, system, catalog, buyers, log } = input;
  const has = (...names: ServiceName[]) => names.every((name) => system.services.includes(name));
  const shared: CpuTarget[] = [
    ...(input.postmasterPid === undefined ? [] : [processTreeTarget("postgres", input.postmasterPid)]),
    processTarget("loadgen", () => process.pid),
  ];
  const systemTargets = [
    ...(["gateway", "user", "product", "order"] as const).map((name) =>
      processTarget(name, () => system.pid(name)),
    ),
    ...shared,
  ];
  const referenceTargets = [processTarget("reference", () => input.referencePid), ...shared];
  const results: ScenarioResult[] = [];
  const invariant: SuiteOutcome["invariant"] = [];

  const run = async (
    scenario: { name: string; description: string; targetRate?: number },
    targets: readonly CpuTarget[],
    load: (seconds: number) => Promise<LoadOutcome>,
  ) => {
    if (config.warmupSeconds > 0) await load(config.warmupSeconds);
    const result = await measure({ ...scenario, connections: config.connections }, targets, () =>
      load(config.durationSeconds),
    );
    results.push(result);
    log(
      `${result.name}: ${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, ` +
        `p99 ${result.latencyMs.p99} ms, non-2xx ${result.failures}, errors ${result.errors}`,
    );
    return result;
  };
  const http = (url: string, requests: RequestStep[], overallRate?: number) => (seconds: number) =>
    runHttpLoad({
      url,
      connections: config.connections,
      durationSeconds: seconds,
      requests,
      ...(overallRate === undefined ? {} : { overallRate }),
    });
  const checkInvariant = async (after: string) => {
    const urls = { product: system.databaseUrls.product ?? "", order: system.databaseUrls.order ?? "" };
    const report = await checkStockInvariant(urls, catalog);
    invariant.push({ after, report });
    log(`stock invariant after ${after}: ${report.holds ? "holds" : "BROKEN"}`);
  };

  const referenceBuyers = catalog.buyers.map((buyer) => ({ id: buyer.id, token: "" }));
  const describe = {
    a: "GET /v1/products/{id}, random ids",
    b: "GET /v1/products?search=<word>&pageSize=20, first and next page",
    c: "POST /v1/orders, 2 items of one seller, random buyer, unique Idempotency-Key",
  };

  await run(
    { name: "ref-a-product-by-id", description: `reference: ${describe.a}` },
    referenceTargets,
    http(input.referenceUrl, productByIdSteps(catalog)),
  );
  const rest = has("gateway", "user", "product");
  if (rest)
    await run(
      { name: "a-product-by-id", description: describe.a },
      systemTargets,
      http(input.system.gatewayUrl, productByIdSteps(catalog)),
    );
  if (has("user", "product")) {
    await run(
      {
        name: "grpc-a-product-by-id",
        description: "gRPC GetProduct straight to the product service with Connect's client, random ids",
      },
      systemTargets,
      (seconds) =>
        runGrpcProductLoad(catalog, {
          baseUrl: `http://127.0.0.1:${system.ports.product}`,
          concurrency: config.connections,
          sessions: 4,
          durationSeconds: seconds,
        }),
    );
    await run(
      {
        name: "grpc-raw-a-product-by-id",
        description: "gRPC GetProduct straight to the product service with a minimal node:http2 client",
      },
      systemTargets,
      (seconds) =>
        runRawGrpcProductLoad(catalog, {
          baseUrl: `http://127.0.0.1:${system.ports.product}`,
          concurrency: config.connections,
          sessions: 4,
          durationSeconds: seconds,
        }),
    );
  }
  if (rest)
    await run(
      { name: "b-search", description: describe.b },
      systemTargets,
      http(system.gatewayUrl, searchSteps()),
    );

  await run(
    { name: "ref-c-create-order", description: `reference: ${describe.c}` },
    referenceTargets,
    http(input.referenceUrl, createOrderSteps(catalog, referenceBuyers, true)),
  );
  if (rest && has("order") && buyers.length > 0) {
    const peak = await run(
      { name: "c-create-order", description: describe.c },
      systemTargets,
      http(system.gatewayUrl, createOrderSteps(catalog, buyers)),
    );
    await checkInvariant("c-create-order");
    const rate = Math.max(1, Math.round(peak.requestsPerSecond / 2));
    await run(
      {
        name: "c-create-order-half-rate",
        description: `${describe.c}, at half of the peak rate`,
        targetRate: rate,
      },
      systemTargets,
      http(system.gatewayUrl, createOrderSteps(catalog, buyers), rate),
    );
    await run(
      { name: "d-mixed-90-10", description: "45% (a), 45% (b) first pages, 10% (c)" },
      systemTargets,
      http(system.gatewayUrl, mixedSteps(catalog, buyers)),
    );
    await checkInvariant("all order scenarios");
  }
  return { results, invariant };
}
