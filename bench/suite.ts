/**
 * The scenarios in their order: product reads (reference, REST through the
 * gateway, REST through the minimal front, direct gRPC) alternating in rounds,
 * search, orders (reference and system alternating, then the system at half of
 * its peak rate, then the reference at half of its own), then the mix; the stock
 * invariant is checked after the order scenarios.
 */
import type { AutocannonRequest, RequestStep } from "autocannon";
import type { RunningSystem, ServiceName } from "../scripts/system.ts";
import type { Catalog } from "./catalog.ts";
import type { BenchConfig, ScenarioGroup } from "./config.ts";
import { type CpuTarget, processTarget, processTreeTarget } from "./cpu.ts";
import { type GrpcLoadOptions, runGrpcProductLoad, runRawGrpcProductLoad } from "./grpc-direct.ts";
import { runHttpLoad } from "./http-load.ts";
import { type LoadOutcome, measure, mergeRounds, type ScenarioResult } from "./measure.ts";
import { runPacedHttpLoad } from "./paced-load.ts";
import { monotonicMicros, type ScenarioWindow } from "./profile-windows.ts";
import {
  type BenchBuyer,
  createOrderRequest,
  createOrderSteps,
  mixedSteps,
  productByIdSteps,
  searchSteps,
} from "./scenarios.ts";
import { checkStockInvariant, type StockInvariantReport } from "./stock-invariant.ts";

export interface SuiteInput {
  readonly config: BenchConfig;
  readonly system: RunningSystem;
  readonly catalog: Catalog;
  readonly buyers: readonly BenchBuyer[];
  readonly referenceUrl: string;
  readonly referencePid: number | undefined;
  /** The minimal REST front to the product service (minimal-front.ts), when it runs. */
  readonly front?: { readonly url: string; readonly pid: number | undefined };
  readonly postmasterPid: number | undefined;
  readonly log: (line: string) => void;
}

export interface SuiteOutcome {
  readonly results: ScenarioResult[];
  readonly invariant: { after: string; report: StockInvariantReport }[];
  /** When each measured run took place, to read CPU profiles by scenario. */
  readonly windows: ScenarioWindow[];
}

interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly targetRate?: number;
  /** The processes whose CPU it is charged. */
  readonly targets: readonly CpuTarget[];
  /** Drives the load for that many seconds. */
  readonly load: (seconds: number) => Promise<LoadOutcome>;
}

const DESCRIBE = {
  a: "GET /v1/products/{id}, random ids",
  b: "GET /v1/products?search=<word>&pageSize=20, first and next page",
  c: "POST /v1/orders, 2 items of one seller, random buyer, unique Idempotency-Key",
};

/** Runs every scenario whose services are running. */
export async function runScenarios(input: SuiteInput): Promise<SuiteOutcome> {
  const { config, system, catalog, buyers, log } = input;
  const has = (...names: ServiceName[]) => names.every((name) => system.services.includes(name));
  const shared: CpuTarget[] = [
    ...(input.postmasterPid === undefined ? [] : [processTreeTarget("postgres", input.postmasterPid)]),
    processTarget("loadgen", () => process.pid),
  ];
  const onSystem = [
    ...(["gateway", "user", "product", "order"] as const).map((name) =>
      processTarget(name, () => system.pid(name)),
    ),
    ...shared,
  ];
  const onReference = [processTarget("reference", () => input.referencePid), ...shared];
  const results: ScenarioResult[] = [];
  const invariant: SuiteOutcome["invariant"] = [];
  const windows: ScenarioWindow[] = [];

  /** Warms each scenario up, then runs them alternately in rounds that add up to the configured duration. */
  const runGroup = async (group: readonly Scenario[]) => {
    const rounds = group.length > 1 ? config.rounds : 1;
    const seconds = Math.max(1, Math.round(config.durationSeconds / rounds));
    if (config.warmupSeconds > 0) for (const scenario of group) await scenario.load(config.warmupSeconds);
    const measured = group.map((): ScenarioResult[] => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, { targets, load, ...scenario }] of group.entries()) {
        const startMicros = monotonicMicros();
        const result = await measure({ ...scenario, connections: config.connections }, targets, () =>
          load(seconds),
        );
        windows.push({
          scenario: scenario.name,
          startMicros,
          endMicros: monotonicMicros(),
          requests: result.requests,
        });
        measured[i]?.push(result);
      }
    }
    return measured.map((rounds) => {
      const result = mergeRounds(rounds);
      results.push(result);
      log(
        `${result.name}: ${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, ` +
          `p99 ${result.latencyMs.p99} ms, non-2xx ${result.failures}, errors ${result.errors}`,
      );
      return result;
    });
  };
  const http =
    (url: string, requests: RequestStep[], overallRate?: number) =>
    (seconds: number): Promise<LoadOutcome> =>
      runHttpLoad({
        url,
        connections: config.connections,
        durationSeconds: seconds,
        requests,
        ...(overallRate === undefined ? {} : { overallRate }),
      });
  const grpc =
    (runner: (catalog: Catalog, options: GrpcLoadOptions) => Promise<LoadOutcome>) =>
    (seconds: number): Promise<LoadOutcome> =>
      runner(catalog, {
        baseUrl: `http://127.0.0.1:${system.ports.product}`,
        concurrency: config.connections,
        sessions: 4,
        durationSeconds: seconds,
      });
  const checkInvariant = async (after: string) => {
    const urls = { product: system.databaseUrls.product ?? "", order: system.databaseUrls.order ?? "" };
    const report = await checkStockInvariant(urls, catalog);
    invariant.push({ after, report });
    log(`stock invariant after ${after}: ${report.holds ? "holds" : "BROKEN"}`);
  };

  const runs = (group: ScenarioGroup) => config.scenarios.has(group);
  const rest = has("gateway", "user", "product");
  const reads: Scenario[] = [
    {
      name: "ref-a-product-by-id",
      description: `reference: ${DESCRIBE.a}`,
      targets: onReference,
      load: http(input.referenceUrl, productByIdSteps(catalog)),
    },
  ];
  if (rest) {
    reads.push({
      name: "a-product-by-id",
      description: DESCRIBE.a,
      targets: onSystem,
      load: http(system.gatewayUrl, productByIdSteps(catalog)),
    });
  }
  if (input.front !== undefined && has("user", "product")) {
    const { url, pid } = input.front;
    reads.push({
      name: "front-a-product-by-id",
      description: `${DESCRIBE.a}, through a minimal front (bare node:http) instead of the gateway`,
      targets: [processTarget("front", () => pid), ...onSystem],
      load: http(url, productByIdSteps(catalog)),
    });
  }
  if (has("user", "product")) {
    reads.push(
      {
        name: "grpc-a-product-by-id",
        description: "gRPC GetProduct straight to the product service with Connect's client, random ids",
        targets: onSystem,
        load: grpc(runGrpcProductLoad),
      },
      {
        name: "grpc-raw-a-product-by-id",
        description: "gRPC GetProduct straight to the product service with a minimal node:http2 client",
        targets: onSystem,
        load: grpc(runRawGrpcProductLoad),
      },
    );
  }
  if (runs("a")) await runGroup(reads);
  if (rest && runs("b")) {
    await runGroup([
      {
        name: "b-search",
        description: DESCRIBE.b,
        targets: onSystem,
        load: http(system.gatewayUrl, searchSteps()),
      },
    ]);
  }

  const referenceBuyers = catalog.buyers.map((buyer) => ({ id: buyer.id, token: "" }));
  const orders: Scenario[] = [
    {
      name: "ref-c-create-order",
      description: `reference: ${DESCRIBE.c}`,
      targets: onReference,
      load: http(input.referenceUrl, createOrderSteps(catalog, referenceBuyers, true)),
    },
  ];
  const orderSystem = rest && has("order") && buyers.length > 0;
  if (orderSystem) {
    orders.push({
      name: "c-create-order",
      description: DESCRIBE.c,
      targets: onSystem,
      load: http(system.gatewayUrl, createOrderSteps(catalog, buyers)),
    });
  }
  const halfOf = (peak: ScenarioResult) => Math.max(1, Math.round(peak.requestsPerSecond / 2));
  const paced =
    (url: string, rate: number, next: () => AutocannonRequest) =>
    (seconds: number): Promise<LoadOutcome> =>
      runPacedHttpLoad({ url, rate, durationSeconds: seconds, connections: config.connections, next });
  const orderScenarios = async () => {
    const [referencePeak, peak] = await runGroup(orders);
    if (!orderSystem || peak === undefined || referencePeak === undefined) return;
    await checkInvariant("c-create-order");
    const rate = halfOf(peak);
    await runGroup([
      {
        name: "c-create-order-half-rate",
        description: `${DESCRIBE.c}, at half of the peak rate, steady (requests due at even intervals)`,
        targetRate: rate,
        targets: onSystem,
        load: paced(system.gatewayUrl, rate, () => createOrderRequest(catalog, buyers, { headers: {} })),
      },
    ]);
    // The control of the run above: the tail this machine gives the one-process
    // path at the same share of its own peak, so that a p99 over the goal can be
    // told apart from a machine whose disk or scheduler alone exceeds it.
    const referenceRate = halfOf(referencePeak);
    await runGroup([
      {
        name: "ref-c-create-order-half-rate",
        description: `reference: ${DESCRIBE.c}, at half of its own peak rate, steady`,
        targetRate: referenceRate,
        targets: onReference,
        load: paced(input.referenceUrl, referenceRate, () =>
          createOrderRequest(catalog, referenceBuyers, { headers: {} }, true),
        ),
      },
    ]);
    await runGroup([
      {
        name: "c-create-order-half-rate-bursts",
        description: `${DESCRIBE.c}, at half of the peak rate with autocannon's overallRate (each second's quota sent at once)`,
        targetRate: rate,
        targets: onSystem,
        load: http(system.gatewayUrl, createOrderSteps(catalog, buyers), rate),
      },
    ]);
  };
  if (runs("c")) await orderScenarios();
  if (!rest || !runs("d")) return { results, invariant, windows };
  await runGroup([
    {
      name: "d-mixed-90-10",
      description: "45% (a), 45% (b) first pages, 10% (c)",
      targets: onSystem,
      load: http(system.gatewayUrl, mixedSteps(catalog, buyers)),
    },
  ]);
  await checkInvariant("all order scenarios");
  return { results, invariant, windows };
}
