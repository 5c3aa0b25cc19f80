/**
 * Prometheus metrics of the gateway: requests, latencies and errors by route
 * template (never the raw URL, whose ids would make one series per resource)
 * and status, plus the default process metrics.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Records one finished request. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** One series (method, route, status): its counts not yet handed to prom-client. */
interface Series {
  readonly labels: Readonly<Record<(typeof labelNames)[number], string>>;
  readonly time: { observe(seconds: number): void };
  readonly failed: boolean;
  requests: number;
  errors: number;
}

const labelNames = ["method", "route", "status"] as const;

/** A metrics registry of its own (not prom-client's global one, so tests can build many gateways). */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving a request to sending its response, by method, route template and status.",
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // prom-client hashes and checks the labels on every inc and observe, even
  // through a labelled child. The counters are therefore kept as plain numbers
  // per series and handed to prom-client when it is read (a scrape); only the
  // histogram, which has no bulk update, is told of each request.
  const series = new Map<string, Series>();
  const publish = () => {
    for (const entry of series.values()) {
      if (entry.requests > 0) requests.inc(entry.labels, entry.requests);
      if (entry.errors > 0) errors.inc(entry.labels, entry.errors);
      entry.requests = 0;
      entry.errors = 0;
    }
  };
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status.",
    labelNames,
    registers: [registry],
    collect: publish,
  });
  const errors = new Counter({
    name: "http_request_errors_total",
    help: "HTTP requests answered with a 4xx or 5xx status, by method, route template and status.",
    labelNames,
    registers: [registry],
    collect: publish,
  });
  const seriesOf = (method: string, route: string, status: number): Series => {
    const labels = { method, route, status: String(status) };
    return { labels, time: latency.labels(labels), failed: status >= 400, requests: 0, errors: 0 };
  };
  return {
    registry,
    observe(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let entry = series.get(key);
      if (entry === undefined) {
        entry = seriesOf(method, route, status);
        series.set(key, entry);
      }
      entry.requests++;
      if (entry.failed) entry.errors++;
      entry.time.observe(seconds);
    },
  };
}
