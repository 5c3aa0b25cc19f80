/** HTTP load with autocannon, bounded in time. */
import autocannon, { type RequestStep } from "autocannon";
import type { LoadOutcome } from "./measure.ts";

export interface HttpLoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  readonly overallRate?: number;
  readonly requests: RequestStep[];
}

/** Runs autocannon against `url` and summarises what it saw. */
export async function runHttpLoad(options: HttpLoadOptions): Promise<LoadOutcome> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: options.requests,
    // With a rate, autocannon "corrects" for coordinated omission assuming a 1 ms
    // interval between requests, which invents hundreds of samples per slow
    // answer; the latencies are reported as measured instead.
    ...(options.overallRate === undefined
      ? {}
      : { overallRate: options.overallRate, ignoreCoordinatedOmission: true }),
  });
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = Number(count);
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99 },
    statuses,
    failures: result.non2xx,
    errors: result.errors,
  };
}
