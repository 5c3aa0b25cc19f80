/**
 * The configuration every gRPC service shares, read from variables named with
 * the service's prefix (USER_, PRODUCT_, ORDER_) and the common SKYROS_ ones.
 */
import { availableParallelism } from "node:os";
import {
  ConfigError,
  type Env,
  envInt,
  envLogLevel,
  envOptional,
  envPort,
  envPostgresUrl,
  envString,
  envUrl,
} from "./config.ts";

export interface ServiceBaseConfig {
  readonly host: string;
  readonly port: number;
  /** Where `GET /metrics` is served, on the same host; unset: not served. */
  readonly metricsPort: number | undefined;
  /** Unset: the service starts an embedded PostgreSQL of its own (development). */
  readonly databaseUrl: string | undefined;
  readonly databasePoolMax: number;
  /** How often the service checks that its database answers (its health follows). */
  readonly databaseCheckIntervalMs: number;
  /** Folder and port of that embedded PostgreSQL. */
  readonly embeddedDataDir: string;
  readonly embeddedPort: number;
  readonly logLevel: string;
  readonly serviceCredential: string;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** Deadline of calls to other services. */
  readonly callTimeoutMs: number;
  /** Where the user service listens (for keys and profiles). */
  readonly userServiceUrl: string;
  /** How long a user's profile fetched from the user service is reused (0: never). */
  readonly profileCacheTtlMs: number;
}

/**
 * The default pool: two connections per core of this machine (at least two).
 * postgres.js pipelines queries on a connection, so a few connections carry a
 * high load, while every extra backend competes for the same cores. Measured
 * on 2 cores: with pools of 3 instead of 10, PostgreSQL spent 41 µs instead of
 * 62 to 76 µs of CPU per product read and about 10% less per order, and both
 * benchmarks' rates rose. Size it for the database server's cores when that
 * is another machine.
 */
export const defaultDatabasePoolMax = (): number => Math.max(2, 2 * availableParallelism());
const httpProtocols = ["http:", "https:"] as const;

/** Reads the shared configuration of the service whose variables start with `prefix`. */
export function readServiceBaseConfig(env: Env, prefix: string, defaultPort: number): ServiceBaseConfig {
  const logLevel = envLogLevel(env, "LOG_LEVEL", "info");
  const serviceCredential = envString(env, "SKYROS_SERVICE_CREDENTIAL");
  if (serviceCredential.length < 16) {
    throw new ConfigError("SKYROS_SERVICE_CREDENTIAL must be at least 16 characters");
  }
  return {
    host: envString(env, `${prefix}_GRPC_HOST`, "127.0.0.1"),
    port: envPort(env, `${prefix}_GRPC_PORT`, defaultPort),
    metricsPort:
      envOptional(env, `${prefix}_METRICS_PORT`) === undefined
        ? undefined
        : envPort(env, `${prefix}_METRICS_PORT`, 0),
    databaseUrl: envPostgresUrl(env, `${prefix}_DATABASE_URL`),
    databasePoolMax: envInt(env, `${prefix}_DATABASE_POOL_MAX`, defaultDatabasePoolMax(), 1, 500),
    databaseCheckIntervalMs: envInt(env, `${prefix}_DATABASE_CHECK_INTERVAL_MS`, 2_000, 50, 600_000),
    embeddedDataDir: envString(env, "SKYROS_DATA_DIR", ".skyros"),
    embeddedPort: envPort(env, `${prefix}_EMBEDDED_PG_PORT`, defaultPort + 50_000 - 4_000),
    logLevel,
    serviceCredential,
    jwtIssuer: envString(env, "SKYROS_JWT_ISSUER", "skyros"),
    jwtAudience: envString(env, "SKYROS_JWT_AUDIENCE", "skyros"),
    callTimeoutMs: envInt(env, "SKYROS_CALL_TIMEOUT_MS", 5_000, 1, 600_000),
    userServiceUrl: envUrl(env, "USER_SERVICE_URL", httpProtocols, "http://127.0.0.1:4011"),
    profileCacheTtlMs: envInt(env, `${prefix}_PROFILE_CACHE_TTL_MS`, 60_000, 0, 86_400_000),
  };
}
