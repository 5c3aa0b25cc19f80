/**
 * Prometheus metrics of the gateway: requests, latencies and errors by method,
 * route template (never the raw URL) and status, plus the default process
 * metrics.
 */
import { createRequestMetrics } from "@skyros/kit/request-metrics";
import { collectDefaultMetrics, Registry } from "prom-client";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Records one finished request. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** A metrics registry of its own (not prom-client's global one, so tests can build many gateways). */
export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = createRequestMetrics(registry, {
    labelNames: ["method", "route", "status"],
    total: {
      name: "http_requests_total",
      help: "HTTP requests answered, by method, route template and status.",
    },
    failed: {
      name: "http_request_errors_total",
      help: "HTTP requests answered with a 4xx or 5xx status, by method, route template and status.",
    },
    duration: {
      name: "http_request_duration_seconds",
      help: "Time from receiving a request to sending its response, by method, route template and status.",
    },
  });
  return {
    registry,
    observe: (method, route, status, seconds) =>
      requests.observe([method, route, String(status)], status >= 400, seconds),
  };
}
