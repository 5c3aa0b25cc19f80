/**
 * When each measured run of a scenario took place, on the clock V8's CPU
 * profiles use (CLOCK_MONOTONIC, in µs, shared by every process on the
 * machine). With `BENCH_PROFILE` the benchmark writes them next to the
 * profiles, so that a profile can be read for one scenario alone: a service's
 * profile otherwise also holds its start-up, the seeding and every other
 * scenario.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ScenarioWindow {
  readonly scenario: string;
  readonly startMicros: number;
  readonly endMicros: number;
  /** Responses received in the window. */
  readonly requests: number;
}

/** The file, in the profiles' folder, that holds the windows of a run. */
export const WINDOWS_FILE = "windows.json";

/** Now, on the profiles' clock. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** A scenario's windows: whether a moment falls in one, and the requests they saw. */
export interface ScenarioSelection {
  readonly includes: (micros: number) => boolean;
  readonly requests: number;
}

/** Selects the windows of `scenario`; throws, naming the scenarios there are, if it has none. */
export function selectScenario(windows: readonly ScenarioWindow[], scenario: string): ScenarioSelection {
  const chosen = windows.filter((window) => window.scenario === scenario);
  if (chosen.length === 0) {
    const known = [...new Set(windows.map((window) => window.scenario))].join(", ");
    throw new Error(`no measured run of ${scenario}; the run measured: ${known || "nothing"}`);
  }
  return {
    includes: (micros) => chosen.some((window) => micros >= window.startMicros && micros < window.endMicros),
    requests: chosen.reduce((sum, window) => sum + window.requests, 0),
  };
}

/** The windows written in the folder `dir` by a profiled run. */
export function readWindows(dir: string): ScenarioWindow[] {
  return JSON.parse(readFileSync(join(dir, WINDOWS_FILE), "utf8")) as ScenarioWindow[];
}
