/**
 * `node packages/kit/bin/grpc-health-probe.ts 127.0.0.1:4011`: exits 0 when the
 * gRPC server there reports SERVING on grpc.health.v1, 1 otherwise. For
 * container health checks where no grpc_health_probe binary is installed.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";

const target = process.argv[2] ?? "127.0.0.1:4011";
const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${target}` }));
try {
  const { status } = await health.check({}, { timeoutMs: 2000 });
  process.exit(status === HealthCheckResponse_ServingStatus.SERVING ? 0 : 1);
} catch {
  process.exit(1);
}
