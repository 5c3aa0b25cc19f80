/**
 * HTTP load at a steady rate (an open model): requests are due at even
 * intervals whatever the answers do, and each one's latency counts from when
 * it was due, so a server that falls behind shows it. autocannon's rate limit
 * instead lets each connection send its whole quota at the start of every
 * second, and measures bursts.
 */
import { Agent, request as httpRequest } from "node:http";
import type { AutocannonRequest } from "autocannon";
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
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const histogram = createLatencyHistogram();
  const lateness = createLatencyHistogram();
  const statuses: Record<string, number> = {};
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const send = (due: number) => {
    lateness.record(performance.now() - due);
    const { method = "GET", path = "/", headers = {}, body } = options.next();
    const done = new Promise<void>((resolve) => {
      const finish = (status: string | undefined) => {
        if (status === undefined) errors++;
        else statuses[status] = (statuses[status] ?? 0) + 1;
        histogram.record(performance.now() - due);
        resolve();
      };
      const req = httpRequest(`${options.url}${path}`, { method, headers, agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on("end", () => finish(String(res.statusCode)));
        res.on("error", () => finish(undefined));
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => finish(undefined));
      req.end(body);
    });
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
  agent.destroy();
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
