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

/** A metrics registry of its own (not prom-client's global one, so tests can build many gateways). */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status.",
    labelNames,
    registers: [registry],
  });
  const errors = new Counter({
    name: "http_request_errors_total",
    help: "HTTP requests answered with a 4xx or 5xx status, by method, route template and status.",
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving a request to sending its response, by method, route template and status.",
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Each request would otherwise hash its labels three times; a route answers
  // with few statuses, so the series' handles are kept once made.
  const series = new Map<string, (seconds: number) => void>();
  const seriesOf = (method: string, route: string, status: number) => {
    const labels = { method, route, status: String(status) };
    const count = requests.labels(labels);
    const time = latency.labels(labels);
    const error = status >= 400 ? errors.labels(labels) : undefined;
    return (seconds: number) => {
      count.inc();
      time.observe(seconds);
      error?.inc();
    };
  };
  return {
    registry,
    observe(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let record = series.get(key);
      if (record === undefined) {
        record = seriesOf(method, route, status);
        series.set(key, record);
      }
      record(seconds);
    },
  };
}
