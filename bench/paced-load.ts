/**
 * HTTP load at a steady rate (an open model): requests are due at even
 * intervals whatever the answers do, and each one's latency counts from when
 * it was due, so a server that falls behind shows it. autocannon's rate limit
 * instead lets each connection send its whole quota at the start of every
 * second, and measures bursts.
 */
import type { AutocannonRequest } from "autocannon";
import { createHttp1Pool } from "./http1-pool.ts";
import { createLatencyHistogram, latencySummary } from "./latency-histogram.ts";
import type { LoadOutcome } from "./measure.ts";

export interface PacedLoadOptions {
  readonly url: string;
  /** Requests per second. */
  readonly rate: number;
  readonly durationSeconds: number;
  /** Most connections (and requests in flight); requests beyond wait for one. */
  readonly connections: number;
  /** The next request to send. */
  readonly next: () => AutocannonRequest;
}

/** Sends `rate` requests per second for `durationSeconds`, then waits for the answers (up to 10 s). */
export async function runPacedHttpLoad(options: PacedLoadOptions): Promise<LoadOutcome> {
  // A lean client: the generator's CPU is taken from the system it measures (http1-pool.ts).
  const pool = createHttp1Pool({ url: options.url, connections: options.connections });
  const histogram = createLatencyHistogram();
  const lateness = createLatencyHistogram();
  const statuses: Record<string, number> = {};
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const send = (due: number) => {
    lateness.record(performance.now() - due);
    const { method = "GET", path = "/", headers = {}, body } = options.next();
    const done = pool.send({ method, path, headers, body }).then(
      (status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        histogram.record(performance.now() - due);
      },
      () => {
        errors++;
        histogram.record(performance.now() - due);
      },
    );
    pending.add(done);
    done.then(() => pending.delete(done));
  };

  const started = performance.now();
  const end = started + options.durationSeconds * 1000;
  const interval = 1000 / options.rate;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Math.min(performance.now(), end);
      // Every request that fell due since the last tick goes now.
      for (; started + sent * interval <= now; sent++) send(started + sent * interval);
      if (now >= end) resolve();
      // Sleep until the next one is due (timers fire late, never early).
      else setTimeout(tick, Math.max(0, started + sent * interval - performance.now()));
    };
    tick();
  });
  const durationSeconds = (performance.now() - started) / 1000;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(pending), new Promise((done) => (timer = setTimeout(done, 10_000)))]);
  clearTimeout(timer);
  pool.close();
  const ok = Object.entries(statuses).reduce((sum, [code, n]) => (code.startsWith("2") ? sum + n : sum), 0);
  const answered = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  return {
    requests: histogram.count,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    latencyMs: latencySummary(histogram),
    sendLatenessMs: latencySummary(lateness),
    statuses,
    failures: answered - ok,
    errors,
  };
}
