/**
 * `npm run bench`: starts PostgreSQL (embedded, in a temporary folder, unless
 * SKYROS_DATABASE_URL names a server), the whole system and the hop-free
 * reference; seeds both alike; drives each scenario for a bounded time; prints
 * a table and writes bench/results/latest.json. See bench/config.ts for the
 * variables.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { LOG_LEVELS, loadConfigOrExit } from "@skyros/kit/config";
import { startEmbeddedPostgres } from "@skyros/kit/embedded-postgres";
import { freePort } from "@skyros/kit/testing";
import { type RunningSystem, startSystem } from "../scripts/system.ts";
import { generateCatalog } from "./catalog.ts";
import { readBenchConfig } from "./config.ts";
import { findPostmasterPid } from "./cpu.ts";
import { nameProfiles } from "./profile-files.ts";
import { WINDOWS_FILE } from "./profile-windows.ts";
import { startReference } from "./reference-process.ts";
import { formatTable, judgeTargets } from "./report.ts";
import { seedSystem } from "./seed.ts";
import { checkpointAfterSeeding, currentWalBytes } from "./seed-checkpoint.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { runScenarios } from "./suite.ts";

const root = join(import.meta.dirname, "..");
const resultsDir = join(import.meta.dirname, "results");
const profileDir = join(resultsDir, "profiles");
const config = loadConfigOrExit(readBenchConfig);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const cleanups: (() => Promise<void>)[] = [];
const startedAt = new Date();

let cleaning: Promise<void> | undefined;

/**
 * Stops what the run started, newest first. The end of the run and a signal
 * may both ask: they share one clean-up, and each waits until it is over.
 */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (let cleanup = cleanups.pop(); cleanup !== undefined; cleanup = cleanups.pop()) {
      try {
        await cleanup();
      } catch (error) {
        log(`clean-up failed: ${String(error)}`);
      }
    }
  })();
  return cleaning;
}

// An interrupted run still stops its processes and removes its databases.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    cleanUp().finally(() => process.exit(130));
  });
}

try {
  let adminUrl = config.databaseUrl;
  if (adminUrl === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "skyros-bench-"));
    // Should the run exit without its clean-up, the folder still goes.
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    // Durable (fsync on), like a real server: the reference runs on it too, so the figures compare.
    const embedded = await startEmbeddedPostgres({ dataDir: join(dir, "data"), port: await freePort() });
    cleanups.push(async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    adminUrl = embedded.url;
    log("embedded PostgreSQL started (durable)");
  }
  const postmaster = await findPostmasterPid(adminUrl);
  if (postmaster === undefined) log("PostgreSQL is not on this machine: its CPU is not measured");

  const namePrefix = `bench_${Date.now().toString(36)}`;
  const nodeArgs = config.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  if (config.profile) mkdirSync(profileDir, { recursive: true });
  const verboseLogs = LOG_LEVELS.indexOf(config.logLevel) <= LOG_LEVELS.indexOf("info");
  const servicesLog = join(resultsDir, "services.log");
  if (verboseLogs) rmSync(servicesLog, { force: true });
  const system: RunningSystem = await startSystem({
    adminUrl,
    namePrefix,
    ports: {
      gateway: await freePort(),
      user: await freePort(),
      product: await freePort(),
      order: await freePort(),
    },
    env: {
      LOG_LEVEL: config.logLevel,
      // Registration is rate-limited per address, and the seed registers from one.
      GATEWAY_RATE_LIMIT_AUTH_MAX: "1000000",
      USER_ACCESS_TOKEN_TTL_SECONDS: "3600",
      // The profiler flags reach every service through NODE_OPTIONS, so the
      // launcher needs no option of its own for them.
      ...(config.profile
        ? { NODE_OPTIONS: [process.env.NODE_OPTIONS ?? "", ...nodeArgs].join(" ").trim() }
        : {}),
    },
    output: (service, line) => process.stderr.write(`[${service}] ${line}\n`),
    // Verbose logs go to a file, written by the services themselves: carried
    // through this process, they would be charged to the load generator.
    ...(verboseLogs ? { logFile: servicesLog } : {}),
  });
  if (verboseLogs) log(`the services log at ${config.logLevel} to ${relative(root, servicesLog)}`);
  const pids = new Map<number, string>();
  cleanups.push(async () => {
    await system.destroy();
    if (config.profile)
      for (const file of nameProfiles(profileDir, pids)) log(`profile: ${relative(root, file)}`);
  });
  await system.waitReady(60_000);
  for (const name of system.services) pids.set(system.pid(name) ?? 0, name);
  log(`system ready: ${system.services.join(", ")}`);

  const catalog = generateCatalog(config);
  const walBeforeSeeding = await currentWalBytes(adminUrl);
  const seedStart = performance.now();
  const buyers = await seedSystem(system, catalog, config.registeredUsers);
  log(
    `seeded ${config.users} users (${config.registeredUsers} registered) and ${config.products} products ` +
      `in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );
  const reference = await startReference(adminUrl, catalog, { namePrefix, nodeArgs });
  cleanups.push(reference.stop);
  if (reference.pid !== undefined) pids.set(reference.pid, "reference");
  const seedingWal = await checkpointAfterSeeding(adminUrl, walBeforeSeeding);
  log(`seeding wrote ${Math.round(seedingWal / 2 ** 20)} MB of WAL; took a checkpoint before the first run`);

  let front: ServerProcess | undefined;
  if (system.services.includes("product")) {
    front = await startServerProcess(
      "minimal front",
      join(import.meta.dirname, "minimal-front.ts"),
      {
        FRONT_PRODUCT_URL: `http://127.0.0.1:${system.ports.product}`,
        SKYROS_SERVICE_CREDENTIAL: system.serviceCredential,
      },
      nodeArgs,
    );
    cleanups.push(front.stop);
    if (front.pid !== undefined) pids.set(front.pid, "front");
  }

  const outcome = await runScenarios({
    config,
    system,
    catalog,
    buyers,
    referenceUrl: reference.url,
    referencePid: reference.pid,
    front,
    postmasterPid: postmaster,
    log,
  });
  if (config.profile) writeFileSync(join(profileDir, WINDOWS_FILE), `${JSON.stringify(outcome.windows)}\n`);
  const targets = judgeTargets(outcome.results);
  process.stdout.write(`\n${formatTable(outcome.results, targets, outcome.invariant)}\n`);
  mkdirSync(resultsDir, { recursive: true });
  const commit = (() => {
    try {
      return execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    } catch {
      return null;
    }
  })();
  const report = {
    startedAt: startedAt.toISOString(),
    commit,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version },
    settings: { ...config, databaseUrl: config.databaseUrl === undefined ? "embedded" : "configured" },
    services: system.services,
    scenarios: outcome.results,
    targets,
    stockInvariant: outcome.invariant,
  };
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  log("wrote bench/results/latest.json");
} catch (error) {
  process.exitCode = 1;
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanUp();
}
