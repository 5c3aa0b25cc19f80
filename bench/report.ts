/**
 * The benchmark's verdict: each scenario's figures, its ratio to the hop-free
 * reference, the targets for this machine, as a table and as JSON.
 */
import type { ScenarioResult } from "./measure.ts";
import type { StockInvariantReport } from "./stock-invariant.ts";

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: number | null;
  /** null when a scenario it needs did not run. */
  readonly met: boolean | null;
}

/** Which scenario each system scenario is compared with. */
export const BASELINES: Readonly<Record<string, string>> = {
  "a-product-by-id": "ref-a-product-by-id",
  "front-a-product-by-id": "ref-a-product-by-id",
  "c-create-order": "ref-c-create-order",
  "grpc-a-product-by-id": "ref-a-product-by-id",
  "grpc-raw-a-product-by-id": "ref-a-product-by-id",
};

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 1000) / 1000;

/** The ratio of a scenario's req/s to its baseline's, when both ran. */
export function ratioToBaseline(results: readonly ScenarioResult[], name: string): number | null {
  const find = (n: string | undefined) => results.find((r) => r.name === n)?.requestsPerSecond;
  return ratio(find(name), find(BASELINES[name]));
}

const target = (name: string, goal: string, value: number | null, pass: (v: number) => boolean): Target => ({
  name,
  goal,
  value,
  met: value === null ? null : pass(value),
});

/** 1 - a/b, rounded; null when either is missing. */
const shortfall = (a: number | null | undefined, b: number | null | undefined) => {
  const share = ratio(a ?? undefined, b ?? undefined);
  return share === null ? null : Math.round((1 - share) * 1000) / 1000;
};

/**
 * What one request costs the machine: every measured process, the load
 * generator included, since on one machine it competes for the same cores. Its
 * inverse is the request rate the machine would reach when CPU-bound, whatever
 * else ran meanwhile, so ratios of it are steady where req/s are not.
 */
function machineMicros(result: ScenarioResult | undefined): number | undefined {
  if (result === undefined) return undefined;
  return serverMicros(result) + (result.cpuMicrosPerRequest.loadgen ?? 0);
}

/**
 * The targets of issue #6 for a two-core machine, judged on one run's results:
 * first on the measured request rates (the targets as stated), then the same
 * ratios estimated from CPU per request, which other load on the machine
 * disturbs far less.
 */
export function judgeTargets(results: readonly ScenarioResult[]): Target[] {
  const get = (name: string) => results.find((r) => r.name === name);
  const rate = (name: string) => get(name)?.requestsPerSecond;
  const cpuRatio = (name: string, base: string) => ratio(machineMicros(get(base)), machineMicros(get(name)));
  const half = get("c-create-order-half-rate");
  const unexpected = results.reduce((sum, r) => sum + r.failures + r.errors, 0);
  return [
    target("(a) vs reference", ">= 0.5", ratioToBaseline(results, "a-product-by-id"), (v) => v >= 0.5),
    target(
      "gateway cost vs Connect client",
      "<= 0.20",
      shortfall(rate("a-product-by-id"), rate("grpc-a-product-by-id")),
      (v) => v <= 0.2,
    ),
    target(
      "gateway cost vs http2 client",
      "<= 0.20",
      shortfall(rate("a-product-by-id"), rate("grpc-raw-a-product-by-id")),
      (v) => v <= 0.2,
    ),
    target("(c) vs reference", ">= 0.33", ratioToBaseline(results, "c-create-order"), (v) => v >= 0.33),
    target("(c) p99 at half peak, steady (ms)", "< 50", half?.latencyMs.p99 ?? null, (v) => v < 50),
    target("non-2xx and errors", "= 0", results.length === 0 ? null : unexpected, (v) => v === 0),
    target(
      "(a) vs reference, by CPU",
      ">= 0.5",
      cpuRatio("a-product-by-id", "ref-a-product-by-id"),
      (v) => v >= 0.5,
    ),
    target(
      "gateway cost, by CPU",
      "<= 0.20",
      shortfall(machineMicros(get("grpc-raw-a-product-by-id")), machineMicros(get("a-product-by-id"))),
      (v) => v <= 0.2,
    ),
    target(
      "(c) vs reference, by CPU",
      ">= 0.33",
      cpuRatio("c-create-order", "ref-c-create-order"),
      (v) => v >= 0.33,
    ),
  ];
}

/** CPU per request of every process but the load generator: what serving one request costs. */
export function serverMicros(result: ScenarioResult): number {
  return Object.entries(result.cpuMicrosPerRequest).reduce(
    (sum, [name, micros]) => (name === "loadgen" ? sum : sum + (micros ?? 0)),
    0,
  );
}

const pad = (text: string, width: number) =>
  text.length >= width ? text : " ".repeat(width - text.length) + text;

/** The results as a fixed-width table (CPU in µs of CPU time per request, by process). */
export function formatTable(
  results: readonly ScenarioResult[],
  targets: readonly Target[],
  invariant: readonly { after: string; report: StockInvariantReport }[],
): string {
  const processes = [...new Set(results.flatMap((r) => Object.keys(r.cpuMicrosPerRequest)))];
  const header = [
    "scenario",
    "req/s",
    "x base",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "non2xx",
    "errors",
    ...processes.map((p) => `${p} µs`),
    "server µs",
    "other cores",
  ];
  const rows = results.map((r) => [
    r.name,
    String(r.requestsPerSecond),
    String(ratioToBaseline(results, r.name) ?? "-"),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p90.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    String(r.failures),
    String(r.errors),
    ...processes.map((p) => {
      const value = r.cpuMicrosPerRequest[p];
      return value === undefined || value === null ? "-" : String(value);
    }),
    String(serverMicros(r)),
    r.otherCores.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[0] ?? 0) : pad(cell, widths[i] ?? 0))).join("  ");
  const out = [line(header), ...rows.map(line), "", "targets (2-core machine, one run):"];
  for (const t of targets) {
    const verdict = t.met === null ? "not run" : t.met ? "met" : "NOT MET";
    out.push(
      `  ${t.name.padEnd(34)} ${String(t.value ?? "-").padStart(8)}  goal ${t.goal.padEnd(8)} ${verdict}`,
    );
  }
  const half = results.find((r) => r.name === "c-create-order-half-rate");
  const referenceHalf = results.find((r) => r.name === "ref-c-create-order-half-rate");
  if (half !== undefined && referenceHalf !== undefined) {
    out.push(
      `  control: the reference at half of its own peak, paced alike, had a p99 of ` +
        `${referenceHalf.latencyMs.p99.toFixed(1)} ms (skyros ${half.latencyMs.p99.toFixed(1)} ms)`,
    );
  }
  for (const r of results) {
    const late = r.sendLatenessMs;
    if (late === undefined) continue;
    out.push(
      `${r.name}: requests left the load generator late by p50/p90/p99 ${late.p50.toFixed(1)} / ` +
        `${late.p90.toFixed(1)} / ${late.p99.toFixed(1)} ms (counted in its latency)`,
    );
  }
  for (const { after, report } of invariant) {
    out.push(
      `stock invariant after ${after}: ${report.holds ? "holds" : "BROKEN"} (${report.productsChecked} products, ` +
        `${report.liveOrders} live orders holding ${report.unitsHeld} units, ${report.ordersInFlight} still in flight)`,
    );
    for (const m of report.mismatches)
      out.push(`  ${m.productId}: seeded ${m.initial} != shelf ${m.shelf} + held ${m.held}`);
  }
  return out.join("\n");
}
