/**
 * The standard gRPC health protocol (grpc.health.v1): Kubernetes probes, load
 * balancers and the gateway's /readyz ask it whether a service is SERVING.
 */
import { EventEmitter, on } from "node:events";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "@skyros/contracts/grpc/health/v1/health_pb.js";
import type { GrpcRouter } from "./grpc-dispatch.ts";

export { Status as ServingStatus };

/** The serving status of a server as a whole ("") and of each service it hosts. */
export interface HealthStatus {
  get(service: string): Status | undefined;
  /** Sets one service's status; `""` is the server as a whole. */
  set(service: string, status: Status): void;
  /** Sets every service, and the server, to one status. */
  setAll(status: Status): void;
  all(): ReadonlyMap<string, Status>;
}

/** A health status for the given services, all NOT_SERVING until set. */
export function createHealthStatus(
  serviceNames: readonly string[],
): HealthStatus & { readonly changes: EventEmitter } {
  const statuses = new Map<string, Status>(["", ...serviceNames].map((name) => [name, Status.NOT_SERVING]));
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const set = (service: string, status: Status) => {
    statuses.set(service, status);
    changes.emit("change", service);
  };
  return {
    changes,
    get: (service) => statuses.get(service),
    set,
    setAll: (status) => {
      for (const name of statuses.keys()) set(name, status);
    },
    all: () => statuses,
  };
}

/** Registers grpc.health.v1.Health on a router, answering from `health`. */
export function registerHealthService(
  router: GrpcRouter,
  health: ReturnType<typeof createHealthStatus>,
): void {
  const statusOf = (service: string) => {
    const status = health.get(service);
    if (status === undefined) throw new ConnectError(`unknown service ${service}`, Code.NotFound);
    return status;
  };
  router.service(Health, {
    check: (request) => ({ status: statusOf(request.service) }),
    list: () => ({
      statuses: Object.fromEntries([...health.all()].map(([name, status]) => [name, { status }])),
    }),
    async *watch(request, context) {
      // Watch reports SERVICE_UNKNOWN rather than failing, as the protocol asks.
      const current = () => health.get(request.service) ?? Status.SERVICE_UNKNOWN;
      let last = current();
      yield { status: last };
      for await (const [service] of on(health.changes, "change", { signal: context.signal })) {
        if (service !== request.service || current() === last) continue;
        last = current();
        yield { status: last };
      }
    },
  });
}
