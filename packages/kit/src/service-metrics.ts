/**
 * Prometheus metrics of a gRPC service: calls answered and their latencies by
 * service, method and code (the names go-grpc-prometheus gave them, which
 * dashboards know), whether the service's database answers, and the default
 * process metrics (CPU, memory, event-loop delay). Served over HTTP on a port
 * of their own (metrics-server.ts), as Prometheus scrapes HTTP.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { createRequestMetrics } from "./request-metrics.ts";

export interface ServiceMetrics {
  readonly registry: Registry;
  /** A finished call: its code (undefined for OK) and how long it took. */
  observeCall(method: DescMethod, code: Code | undefined, seconds: number): void;
  /** Whether the service's database answers, as its health check last found. */
  setDatabaseUp(up: boolean): void;
}

/** Metrics in a registry of their own (tests run several services in one process). */
export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const calls = createRequestMetrics(registry, {
    labelNames: ["grpc_service", "grpc_method", "grpc_code"],
    total: { name: "grpc_server_handled_total", help: "gRPC calls answered, by service, method and code." },
    duration: {
      name: "grpc_server_handling_seconds",
      help: "Time from a call's arrival to its answer, by service, method and code.",
    },
  });
  const databaseUp = new Gauge({
    name: "skyros_database_up",
    help: "1 while the service's own database answers its health checks, else 0.",
    registers: [registry],
  });
  databaseUp.set(1);
  return {
    registry,
    observeCall: (method, code, seconds) =>
      calls.observe(
        [method.parent.typeName, method.name, code === undefined ? "OK" : Code[code]],
        code !== undefined,
        seconds,
      ),
    setDatabaseUp: (up) => databaseUp.set(up ? 1 : 0),
  };
}
