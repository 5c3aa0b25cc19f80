/**
 * Runs the whole system as separate processes, the way an orchestrator would:
 * one database and role per service, one process per service, output prefixed
 * by service, a process that dies restarted with backoff, and a clean stop.
 * `npm start`, the end-to-end tests and the benchmarks all run it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { type Env, envPort } from "@skyros/kit/config";
import { serviceNodeOptions } from "@skyros/kit/node-options";
import { dropServiceDatabase, ensureServiceDatabase } from "@skyros/kit/provisioning";

const root = join(import.meta.dirname, "..");

export type ServiceName = "user" | "product" | "order" | "gateway";

interface ServiceSpec {
  readonly name: ServiceName;
  /** Prefix of its variables (USER_GRPC_PORT, USER_DATABASE_URL, ...). */
  readonly prefix: string;
  /** Its own database, for the services that keep state. */
  readonly database?: string;
  readonly defaultPort: number;
}

/** In start order. */
const SERVICES: readonly ServiceSpec[] = [
  { name: "user", prefix: "USER", database: "users", defaultPort: 4011 },
  { name: "product", prefix: "PRODUCT", database: "products", defaultPort: 4022 },
  { name: "order", prefix: "ORDER", database: "orders", defaultPort: 4033 },
  { name: "gateway", prefix: "GATEWAY", defaultPort: 4000 },
];

/** The variable that sets a service's port: GATEWAY_HTTP_PORT, else <PREFIX>_GRPC_PORT. */
const portVariable = (spec: ServiceSpec) =>
  spec.name === "gateway" ? "GATEWAY_HTTP_PORT" : `${spec.prefix}_GRPC_PORT`;

/** Every service's port as the environment sets it, or its default. */
export function portsFromEnv(env: Env): Record<ServiceName, number> {
  return Object.fromEntries(
    SERVICES.map((spec) => [spec.name, envPort(env, portVariable(spec), spec.defaultPort)]),
  ) as Record<ServiceName, number>;
}

const entryOf = (name: ServiceName) => join(root, "services", name, "src", "main.ts");

/** The services present in this checkout (each one has a main.ts). */
export function availableServices(): ServiceName[] {
  return SERVICES.filter((spec) => existsSync(entryOf(spec.name))).map((spec) => spec.name);
}

export interface SystemOptions {
  /** Superuser URL of the PostgreSQL server that holds every service's database. */
  readonly adminUrl: string;
  /** Ports by service; defaults: gateway 4000, user 4011, product 4022, order 4033. */
  readonly ports?: Partial<Record<ServiceName, number>>;
  /** Prefix of database and role names (tests use a unique one per run). */
  readonly namePrefix?: string;
  /** Restart a process that exits unexpectedly (npm start); tests restart by hand. */
  readonly restart?: boolean;
  /** Extra environment for every process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Where each output line goes. */
  readonly output?: (service: ServiceName | "launcher", line: string) => void;
  /**
   * A file the services write their output to directly, instead of through
   * `output` (which still gets the launcher's own lines): for verbose logs
   * whose lines this process should not have to carry.
   */
  readonly logFile?: string;
}

export interface RunningSystem {
  readonly services: readonly ServiceName[];
  readonly ports: Readonly<Record<ServiceName, number>>;
  readonly gatewayUrl: string;
  readonly serviceCredential: string;
  readonly databaseUrls: Readonly<Partial<Record<ServiceName, string>>>;
  /** The PID of a running service process. */
  pid(name: ServiceName): number | undefined;
  /** Kills a service process and waits for it to exit (it is not restarted). */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service process that was killed, and waits until it serves. */
  start(name: ServiceName): Promise<void>;
  /** Waits until every service serves (gRPC health SERVING; the gateway's /readyz 200). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every process (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Stops, then drops every service's database and role (tests). */
  destroy(): Promise<void>;
}

/** Starts every available service as its own process. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const output = options.output ?? ((service, line) => process.stdout.write(`[${service}] ${line}\n`));
  const names = availableServices();
  const specs = SERVICES.filter((spec) => names.includes(spec.name));
  const ports = Object.fromEntries(
    SERVICES.map((spec) => [spec.name, options.ports?.[spec.name] ?? spec.defaultPort]),
  ) as Record<ServiceName, number>;
  const serviceCredential = options.env?.SKYROS_SERVICE_CREDENTIAL ?? randomBytes(24).toString("base64url");
  const prefix = options.namePrefix ?? "skyros";

  const databaseUrls: Partial<Record<ServiceName, string>> = {};
  for (const grant of grantsOf(prefix, specs)) {
    databaseUrls[grant.name] = await ensureServiceDatabase(options.adminUrl, {
      ...grant,
      // A fresh password every run: nothing outside this run can log in with it.
      password: randomBytes(18).toString("base64url"),
    });
  }

  const env: Record<string, string> = {
    // The gateway's /readyz waits for the services this checkout runs.
    GATEWAY_REQUIRED_SERVICES: names.filter((name) => name !== "gateway").join(","),
    ...(process.env as Record<string, string>),
    ...options.env,
    SKYROS_SERVICE_CREDENTIAL: serviceCredential,
  };
  env.NODE_OPTIONS = serviceNodeOptions(env.NODE_OPTIONS);
  for (const spec of SERVICES) {
    env[portVariable(spec)] = String(ports[spec.name]);
    if (spec.name !== "gateway") env[`${spec.prefix}_SERVICE_URL`] = `http://127.0.0.1:${ports[spec.name]}`;
    const url = databaseUrls[spec.name];
    if (url !== undefined) env[`${spec.prefix}_DATABASE_URL`] = url;
  }

  const processes = new Map<ServiceName, ChildProcess>();
  const supervised = new Set<ServiceName>();
  let stopping = false;

  let logFd = options.logFile === undefined ? undefined : openSync(options.logFile, "a");
  const launch = (name: ServiceName, attempt = 0) => {
    const child = spawn(process.execPath, [entryOf(name)], {
      cwd: root,
      env,
      stdio: ["ignore", logFd ?? "pipe", logFd ?? "pipe"],
    });
    const startedAt = Date.now();
    processes.set(name, child);
    output("launcher", `started ${name} (pid ${child.pid})`);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream }).on("line", (line) => output(name, line));
    }
    child.once("exit", (code, signal) => {
      if (processes.get(name) === child) processes.delete(name);
      if (stopping || !supervised.has(name)) return;
      // Backoff grows while the process keeps dying young, and resets after a good run.
      const next = Date.now() - startedAt > 30_000 ? 0 : attempt + 1;
      const delay = Math.min(250 * 2 ** next, 10_000);
      output("launcher", `${name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!stopping && !processes.has(name)) launch(name, next);
      }, delay);
    });
  };

  const waitServing = async (name: ServiceName, deadline: number) => {
    const port = ports[name];
    const health =
      name === "gateway"
        ? undefined
        : createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    for (;;) {
      try {
        if (health === undefined) {
          if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
        } else {
          const { status } = await health.check({}, { timeoutMs: 1000 });
          if (status === HealthCheckResponse_ServingStatus.SERVING) return;
        }
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not become ready on port ${port}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  };

  const system: RunningSystem = {
    services: names,
    ports,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    serviceCredential,
    databaseUrls,
    pid: (name) => processes.get(name)?.pid,
    async kill(name, signal = "SIGKILL") {
      supervised.delete(name);
      const child = processes.get(name);
      if (child === undefined || child.exitCode !== null) return;
      const exited = new Promise((done) => child.once("exit", done));
      child.kill(signal);
      await exited;
    },
    async start(name) {
      if (options.restart) supervised.add(name);
      if (!processes.has(name)) launch(name);
      await waitServing(name, Date.now() + 30_000);
    },
    async waitReady(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (const name of names) await waitServing(name, deadline);
    },
    async stop() {
      stopping = true;
      await Promise.all(
        [...processes.values()].map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((done) => child.once("exit", done));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      if (logFd !== undefined) closeSync(logFd);
      logFd = undefined;
    },
    async destroy() {
      await system.stop();
      for (const grant of grantsOf(prefix, specs)) await dropServiceDatabase(options.adminUrl, grant);
    },
  };

  for (const spec of specs) {
    if (options.restart) supervised.add(spec.name);
    launch(spec.name);
  }
  return system;
}

/** The database and role names of each stateful service under a prefix. */
function grantsOf(prefix: string, specs: readonly ServiceSpec[]) {
  return specs
    .filter((spec) => spec.database !== undefined)
    .map((spec) => ({
      name: spec.name,
      database: `${prefix}_${spec.database}`,
      role: `${prefix}_${spec.name}`,
    }));
}
