/**
 * Readiness: the gateway is ready when every service it requires answers the
 * standard gRPC health check (grpc.health.v1) as SERVING.
 */
import { createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";

export interface ReadinessTarget {
  readonly name: string;
  /** The service whose status is asked (its fully-qualified name). */
  readonly serviceName: string;
  readonly transport: Transport;
}

export interface Readiness {
  readonly ready: boolean;
  /** Each required service's status: SERVING, NOT_SERVING, UNREACHABLE... */
  readonly services: Record<string, string>;
  /** The services that are not serving. */
  readonly notReady: string[];
}

/** Asks every target at once, each with a short deadline. */
export function createReadinessCheck(
  targets: readonly ReadinessTarget[],
  timeoutMs = 2_000,
): () => Promise<Readiness> {
  const clients = targets.map((target) => ({ ...target, client: createClient(Health, target.transport) }));
  return async () => {
    const statuses = await Promise.all(
      clients.map(async ({ name, serviceName, client }) => {
        try {
          const { status } = await client.check({ service: serviceName }, { timeoutMs });
          return [name, HealthCheckResponse_ServingStatus[status] ?? "UNKNOWN"] as const;
        } catch {
          return [name, "UNREACHABLE"] as const;
        }
      }),
    );
    const notReady = statuses.filter(([, status]) => status !== "SERVING").map(([name]) => name);
    return { ready: notReady.length === 0, services: Object.fromEntries(statuses), notReady };
  };
}
