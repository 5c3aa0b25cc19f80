/**
 * The benchmark's settings, read once from the environment: run length, load,
 * catalog size, profiling, and the PostgreSQL server to use.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | BENCH_DURATION_SECONDS | 15 | measured time of each scenario |
 * | BENCH_CONNECTIONS | 32 | concurrent connections (calls in flight for gRPC) |
 * | BENCH_WARMUP_SECONDS | 3 | unmeasured load before each scenario |
 * | BENCH_ROUNDS | 3 (1 under 9 s) | rounds in which compared scenarios alternate |
 * | BENCH_USERS, BENCH_SELLERS | 1000, users/20 | seeded users, of whom sellers |
 * | BENCH_PRODUCTS | 10000 | seeded products |
 * | BENCH_REGISTERED_USERS | sellers + 200 | users registered through the API (the rest by SQL) |
 * | BENCH_SCENARIOS | a,b,c,d | which scenario groups run (c includes its half-rate runs) |
 * | BENCH_PROFILE | false | V8 CPU profiles of every process in bench/results/profiles |
 * | BENCH_LOG_LEVEL | warn | LOG_LEVEL of the services (info: a log line per request) |
 * | SKYROS_DATABASE_URL | embedded | superuser URL of the PostgreSQL server to use |
 *
 * Quick check: BENCH_DURATION_SECONDS=3 BENCH_USERS=100 BENCH_PRODUCTS=1000 npm run bench
 * Profile product reads only: BENCH_SCENARIOS=a BENCH_PROFILE=true npm run bench
 */
import {
  ConfigError,
  type Env,
  envBool,
  envInt,
  envList,
  envLogLevel,
  envOptionalUrl,
  type LogLevel,
} from "@skyros/kit/config";

/** The scenario groups: product by id, search, create order, the mix. */
export const SCENARIO_GROUPS = ["a", "b", "c", "d"] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export interface BenchConfig {
  /** Length of each measured scenario. */
  readonly durationSeconds: number;
  /** Concurrent connections (HTTP/1.1 for REST, in-flight calls for gRPC). */
  readonly connections: number;
  /**
   * Scenarios that are compared (system and reference) alternate in this many
   * rounds, so that other load on the machine weighs on both alike.
   */
  readonly rounds: number;
  /** Warm-up before each scenario, not measured. */
  readonly warmupSeconds: number;
  readonly users: number;
  readonly sellers: number;
  readonly products: number;
  /** How many users are registered through the API (the rest are inserted with SQL). */
  readonly registeredUsers: number;
  /** The scenario groups to run, in their fixed order. */
  readonly scenarios: ReadonlySet<ScenarioGroup>;
  /** Run the services with the V8 CPU profiler. */
  readonly profile: boolean;
  /**
   * The services' log level. Not info by default: the reference writes no
   * access log, and the figures compare the request paths, not the logging.
   */
  readonly logLevel: LogLevel;
  /** A PostgreSQL superuser URL; unset: an embedded server in a temporary folder. */
  readonly databaseUrl: string | undefined;
}

/** Reads the benchmark's settings; a bad value throws a ConfigError naming its variable. */
export function readBenchConfig(env: Env): BenchConfig {
  const durationSeconds = envInt(env, "BENCH_DURATION_SECONDS", 15, 1, 600);
  const users = envInt(env, "BENCH_USERS", 1_000, 4, 1_000_000);
  const sellers = envInt(env, "BENCH_SELLERS", Math.max(2, Math.round(users / 20)), 1, users - 1);
  return {
    durationSeconds,
    connections: envInt(env, "BENCH_CONNECTIONS", 32, 1, 1_000),
    rounds: envInt(env, "BENCH_ROUNDS", durationSeconds >= 9 ? 3 : 1, 1, 20),
    warmupSeconds: envInt(env, "BENCH_WARMUP_SECONDS", Math.min(3, durationSeconds), 0, 60),
    users,
    sellers,
    products: envInt(env, "BENCH_PRODUCTS", 10_000, 2 * sellers, 10_000_000),
    // Every seller and a couple of hundred buyers: enough tokens for "many buyers",
    // without paying argon2 a thousand times before the first measurement.
    registeredUsers: envInt(
      env,
      "BENCH_REGISTERED_USERS",
      Math.min(users, sellers + 200),
      sellers + 1,
      users,
    ),
    scenarios: readScenarioGroups(env),
    profile: envBool(env, "BENCH_PROFILE", false),
    logLevel: envLogLevel(env, "BENCH_LOG_LEVEL", "warn"),
    databaseUrl: envOptionalUrl(env, "SKYROS_DATABASE_URL", ["postgres:", "postgresql:"]),
  };
}

function readScenarioGroups(env: Env): ReadonlySet<ScenarioGroup> {
  const listed = envList(env, "BENCH_SCENARIOS", SCENARIO_GROUPS).map((item) => item.toLowerCase());
  const unknown = listed.filter((item) => !(SCENARIO_GROUPS as readonly string[]).includes(item));
  if (unknown.length > 0 || listed.length === 0)
    throw new ConfigError(
      `BENCH_SCENARIOS must list some of ${SCENARIO_GROUPS.join(",")}, got "${env.BENCH_SCENARIOS ?? ""}"`,
    );
  return new Set(listed as ScenarioGroup[]);
}
