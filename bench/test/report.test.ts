/**
 * How rounds of a scenario are merged and reported, on made-up results: the
 * load generator's lateness of a steady-rate run is kept beside its latency, and
 * the reference's half-rate run is shown as the control of the system's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type LatencyPercentiles, mergeRounds, type ScenarioResult } from "../measure.ts";
import { formatTable, judgeTargets } from "../report.ts";

function round(
  requests: number,
  latencyMs: LatencyPercentiles,
  sendLatenessMs?: LatencyPercentiles,
): ScenarioResult {
  return {
    name: "c-create-order-half-rate",
    description: "orders at half of the peak rate",
    connections: 32,
    targetRate: 100,
    requests,
    durationSeconds: 10,
    requestsPerSecond: requests / 10,
    latencyMs,
    statuses: { "200": requests },
    failures: 0,
    errors: 0,
    cpuMicrosPerRequest: { gateway: 500, loadgen: 300 },
    otherCores: 0,
    ...(sendLatenessMs === undefined ? {} : { sendLatenessMs }),
  };
}

test("a steady-rate run's lateness is merged over its rounds, weighted by requests", () => {
  const merged = mergeRounds([
    round(1000, { p50: 10, p90: 20, p99: 40 }, { p50: 1, p90: 2, p99: 4 }),
    round(3000, { p50: 30, p90: 40, p99: 80 }, { p50: 3, p90: 6, p99: 12 }),
  ]);
  assert.deepEqual(merged.latencyMs, { p50: 25, p90: 35, p99: 70 });
  assert.deepEqual(merged.sendLatenessMs, { p50: 2.5, p90: 5, p99: 10 });
  assert.equal(merged.requests, 4000);
  assert.equal(merged.rounds, 2);
});

test("lateness known for only some rounds is not reported as if it were the whole run's", () => {
  const merged = mergeRounds([
    round(1000, { p50: 10, p90: 20, p99: 40 }, { p50: 1, p90: 2, p99: 4 }),
    round(1000, { p50: 10, p90: 20, p99: 40 }),
  ]);
  assert.equal(merged.sendLatenessMs, undefined);
});

test("the table names how late the load generator sent a steady-rate run's requests", () => {
  const result = round(1000, { p50: 12, p90: 39, p99: 128.3 }, { p50: 0.8, p90: 2.4, p99: 16.3 });
  const table = formatTable([result], judgeTargets([result]), []);
  assert.match(
    table,
    /c-create-order-half-rate: requests left the load generator late by p50\/p90\/p99 0\.8 \/ 2\.4 \/ 16\.3 ms/,
  );
  assert.match(table, /\(c\) p99 at half peak, steady \(ms\) +128\.3/);
  const withoutLateness = formatTable([round(1000, { p50: 1, p90: 2, p99: 3 })], [], []);
  assert.doesNotMatch(withoutLateness, /late by/);
});

test("the half-rate p99 is shown beside the reference's at half of its own peak, when both ran", () => {
  const system = round(1000, { p50: 12, p90: 39, p99: 128.3 });
  const reference = { ...round(2000, { p50: 3, p90: 9, p99: 61.5 }), name: "ref-c-create-order-half-rate" };
  const table = formatTable([system, reference], judgeTargets([system, reference]), []);
  assert.match(
    table,
    /control: the reference at half of its own peak, paced alike, had a p99 of 61\.5 ms \(skyros 128\.3 ms\)/,
  );
  // The target is judged on the system's run alone.
  assert.match(table, /\(c\) p99 at half peak, steady \(ms\) +128\.3 +goal < 50 +NOT MET/);
  assert.doesNotMatch(formatTable([system], judgeTargets([system]), []), /control:/);
});
