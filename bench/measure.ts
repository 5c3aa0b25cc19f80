/**
 * One measured run of a load: its throughput, latency percentiles, failures, and
 * the CPU each process spent per request served.
 */
import { type CpuTarget, machineBusySeconds, sampleCpu } from "./cpu.ts";

/** What a load generator reports about one run. */
export interface LoadOutcome {
  /** Responses received (any status). */
  readonly requests: number;
  readonly durationSeconds: number;
  readonly latencyMs: LatencyPercentiles;
  /** Responses by status (HTTP code, or gRPC code name). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Responses that were not a success. */
  readonly failures: number;
  /** Connection errors and timeouts (no response at all). */
  readonly errors: number;
  /**
   * For a load at a steady rate: how late the load generator sent requests
   * after they fell due. Latency counts from when a request was due, so this
   * part of it is the load generator's own delay, not the server's.
   */
  readonly sendLatenessMs?: LatencyPercentiles;
}

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export interface ScenarioResult extends LoadOutcome {
  readonly name: string;
  readonly description: string;
  readonly connections: number;
  /** The rate asked for, when the load was rate-limited. */
  readonly targetRate?: number;
  readonly requestsPerSecond: number;
  /** Microseconds of CPU (user + system) per request, by process; null when it could not be read. */
  readonly cpuMicrosPerRequest: Readonly<Record<string, number | null>>;
  /**
   * Cores kept busy meanwhile by processes not measured here (other work on the
   * machine): well above zero means the figures are disturbed.
   */
  readonly otherCores: number;
  /** Rounds the scenario ran in, alternating with the scenarios it is compared with. */
  readonly rounds?: number;
}

/** Runs `load` and measures the CPU time every target spends meanwhile. */
export async function measure(
  scenario: { name: string; description: string; connections: number; targetRate?: number },
  targets: readonly CpuTarget[],
  load: () => Promise<LoadOutcome>,
): Promise<ScenarioResult> {
  const before = sampleCpu(targets);
  const machineBefore = machineBusySeconds();
  const outcome = await load();
  const machine = machineBusySeconds() - machineBefore;
  const after = sampleCpu(targets);
  let measured = 0;
  const cpuMicrosPerRequest: Record<string, number | null> = {};
  for (const target of targets) {
    const start = before.get(target.name);
    const end = after.get(target.name);
    if (start !== undefined && end !== undefined) measured += end - start;
    cpuMicrosPerRequest[target.name] =
      start === undefined || end === undefined || outcome.requests === 0
        ? null
        : Math.round(((end - start) * 1e6) / outcome.requests);
  }
  return {
    ...scenario,
    ...outcome,
    requestsPerSecond: Math.round(outcome.requests / outcome.durationSeconds),
    cpuMicrosPerRequest,
    otherCores: Math.max(0, Math.round(((machine - measured) / outcome.durationSeconds) * 100) / 100),
  };
}

/**
 * One result from several rounds of the same scenario: counts and CPU add up;
 * latency percentiles are the rounds' percentiles weighted by their requests
 * (an approximation: exact only when the rounds are alike).
 */
export function mergeRounds(rounds: readonly ScenarioResult[]): ScenarioResult {
  const [first] = rounds;
  if (first === undefined) throw new Error("no rounds to merge");
  if (rounds.length === 1) return first;
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const durationSeconds = rounds.reduce((sum, r) => sum + r.durationSeconds, 0);
  const weighted = (value: (r: ScenarioResult) => number) =>
    requests === 0
      ? 0
      : Math.round((rounds.reduce((sum, r) => sum + value(r) * r.requests, 0) / requests) * 100) / 100;
  const statuses: Record<string, number> = {};
  for (const round of rounds) {
    for (const [status, count] of Object.entries(round.statuses))
      statuses[status] = (statuses[status] ?? 0) + count;
  }
  const cpuMicrosPerRequest: Record<string, number | null> = {};
  for (const name of Object.keys(first.cpuMicrosPerRequest)) {
    const known = rounds.every((r) => typeof r.cpuMicrosPerRequest[name] === "number");
    cpuMicrosPerRequest[name] = known ? Math.round(weighted((r) => r.cpuMicrosPerRequest[name] ?? 0)) : null;
  }
  const percentiles = (of: (r: ScenarioResult) => LatencyPercentiles | undefined) => ({
    p50: weighted((r) => of(r)?.p50 ?? 0),
    p90: weighted((r) => of(r)?.p90 ?? 0),
    p99: weighted((r) => of(r)?.p99 ?? 0),
  });
  const { sendLatenessMs: _, ...firstRest } = first;
  return {
    ...firstRest,
    requests,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    requestsPerSecond: Math.round(requests / durationSeconds),
    latencyMs: percentiles((r) => r.latencyMs),
    ...(rounds.every((r) => r.sendLatenessMs !== undefined)
      ? { sendLatenessMs: percentiles((r) => r.sendLatenessMs) }
      : {}),
    statuses,
    failures: rounds.reduce((sum, r) => sum + r.failures, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    cpuMicrosPerRequest,
    otherCores:
      Math.round(
        (rounds.reduce((sum, r) => sum + r.otherCores * r.durationSeconds, 0) / durationSeconds) * 100,
      ) / 100,
    rounds: rounds.length,
  };
}
