/**
 * `node packages/kit/bin/grpc-health-probe.ts 127.0.0.1:4011 [service]`: exits
 * 0 when the gRPC server there reports SERVING on grpc.health.v1, 1 otherwise.
 * Without a service name it asks about the server as a whole (alive); with one,
 * such as skyros.user.v1.UserService, about that service, which also needs its
 * database to answer (ready). For container health checks where no
 * grpc_health_probe binary is installed.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";

const target = process.argv[2] ?? "127.0.0.1:4011";
const service = process.argv[3] ?? "";
const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${target}` }));
try {
  const { status } = await health.check({ service }, { timeoutMs: 2000 });
  process.exit(status === HealthCheckResponse_ServingStatus.SERVING ? 0 : 1);
} catch {
  process.exit(1);
}
