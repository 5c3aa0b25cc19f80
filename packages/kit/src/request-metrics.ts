/**
 * Prometheus metrics of requests answered, for the gateway's HTTP requests
 * and the services' gRPC calls alike: a count, optionally a count of the
 * failed ones, and a latency histogram, each by a fixed set of labels whose
 * values come from templates and codes (never from raw URLs or ids, which
 * would make one series per resource).
 */
import { Counter, Histogram, type Registry } from "prom-client";

export interface RequestMetricsSpec<L extends string> {
  readonly labelNames: readonly L[];
  readonly total: { readonly name: string; readonly help: string };
  /** A count of the requests observed as failed, when wanted. */
  readonly failed?: { readonly name: string; readonly help: string };
  readonly duration: { readonly name: string; readonly help: string };
}

export interface RequestMetrics {
  /** Records one answered request; `values` in the order of the spec's label names. */
  observe(values: readonly string[], failed: boolean, seconds: number): void;
}

/** Seconds, from a millisecond to ten seconds (past the longest call deadline). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One series: its counts not yet handed to prom-client. */
interface Series<L extends string> {
  readonly labels: Readonly<Record<L, string>>;
  readonly time: { observe(seconds: number): void };
  requests: number;
  failures: number;
}

/** Request metrics registered in `registry`. */
export function createRequestMetrics<L extends string>(
  registry: Registry,
  spec: RequestMetricsSpec<L>,
): RequestMetrics {
  const labelNames = spec.labelNames as L[];
  const duration = new Histogram({
    ...spec.duration,
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // prom-client hashes and checks the labels on every inc and observe, even
  // through a labelled child. The counters are therefore kept as plain numbers
  // per series and handed to prom-client when it is read (a scrape); only the
  // histogram, which has no bulk update, is told of each request.
  const series = new Map<string, Series<L>>();
  const publish = () => {
    for (const entry of series.values()) {
      if (entry.requests > 0) total.inc(entry.labels, entry.requests);
      if (entry.failures > 0) failed?.inc(entry.labels, entry.failures);
      entry.requests = 0;
      entry.failures = 0;
    }
  };
  const total = new Counter({ ...spec.total, labelNames, registers: [registry], collect: publish });
  const failed =
    spec.failed === undefined
      ? undefined
      : new Counter({ ...spec.failed, labelNames, registers: [registry], collect: publish });
  const seriesOf = (values: readonly string[]): Series<L> => {
    const labels = Object.fromEntries(labelNames.map((name, i) => [name, values[i] ?? ""])) as Record<
      L,
      string
    >;
    return { labels, time: duration.labels(labels), requests: 0, failures: 0 };
  };
  return {
    observe(values, isFailure, seconds) {
      const key = values.join("\u0000");
      let entry = series.get(key);
      if (entry === undefined) {
        entry = seriesOf(values);
        series.set(key, entry);
      }
      entry.requests++;
      if (isFailure) entry.failures++;
      entry.time.observe(seconds);
    },
  };
}
