/**
 * `npm start` as a newcomer runs it: embedded PostgreSQL, every service as its
 * own process, a killed process restarted, and Ctrl-C stopping it all; and as
 * a process manager runs it, stopped by a SIGTERM to npm alone.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@skyros/contracts/grpc/health/v1/health_pb.js";
import { SERVICE_NODE_OPTIONS } from "@skyros/kit/node-options";
import { freePort } from "@skyros/kit/testing";

const root = join(import.meta.dirname, "../..");
let dataDir: string;
let launcher: ChildProcess;
const lines: string[] = [];
let ports: Record<string, number>;

/** Waits for an output line matching `pattern` (seen already or still to come). */
async function lineMatching(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of lines.slice(from)) {
      const match = line.match(pattern);
      if (match !== null) return match;
    }
    if (Date.now() > deadline) assert.fail(`no line matching ${pattern} in:\n${lines.slice(-30).join("\n")}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function userServing(): Promise<boolean> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.user}` }));
  try {
    return (await health.check({}, { timeoutMs: 1000 })).status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}

/** A free port that no other system of this file was given (one may not have bound it yet). */
const given = new Set<number>();
async function unusedPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "skyros-launcher-"));
  ports = {
    SKYROS_PG_PORT: await unusedPort(),
    user: await unusedPort(),
    product: await unusedPort(),
    order: await unusedPort(),
    gateway: await unusedPort(),
    userMetrics: await unusedPort(),
  };
  launcher = spawn(process.execPath, ["scripts/start.ts"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      SKYROS_DATA_DIR: dataDir,
      SKYROS_PG_PORT: String(ports.SKYROS_PG_PORT),
      USER_GRPC_PORT: String(ports.user),
      PRODUCT_GRPC_PORT: String(ports.product),
      ORDER_GRPC_PORT: String(ports.order),
      GATEWAY_HTTP_PORT: String(ports.gateway),
      USER_METRICS_PORT: String(ports.userMetrics),
      PRODUCT_METRICS_PORT: "0",
      ORDER_METRICS_PORT: "0",
      LOG_LEVEL: "warn",
    },
  });
  for (const stream of [launcher.stdout, launcher.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (line) => lines.push(line));
  }
});

after(async () => {
  if (launcher.exitCode === null && launcher.signalCode === null) {
    const exited = new Promise((done) => launcher.once("exit", done));
    launcher.kill("SIGINT");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test("npm start: ready, survives a killed service, and stops cleanly on Ctrl-C", async () => {
  const started = Date.now();
  await lineMatching(/^\[launcher\] ready: /, 90_000);
  assert.ok(await userServing(), "the user service is SERVING");
  assert.ok(Date.now() - started < 60_000, "ready within a minute");
  assert.ok(existsSync(join(dataDir, "pg", "PG_VERSION")), "PostgreSQL keeps its data under SKYROS_DATA_DIR");
  const metrics = await fetch(`http://127.0.0.1:${ports.userMetrics}/metrics`);
  assert.match(await metrics.text(), /^skyros_database_up 1$/m, "the user service serves its metrics");

  const [, pid] = await lineMatching(/^\[launcher\] started user \(pid (\d+)\)/, 1_000);
  if (process.platform === "linux") {
    const environment = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const nodeOptions = environment.find((entry) => entry.startsWith("NODE_OPTIONS="));
    assert.ok(
      nodeOptions?.startsWith(`NODE_OPTIONS=${SERVICE_NODE_OPTIONS.join(" ")}`),
      `the services run with the project's V8 settings (${nodeOptions})`,
    );
  }
  const mark = lines.length;
  process.kill(Number(pid), "SIGKILL");
  await lineMatching(/^\[launcher\] user exited \(SIGKILL\); restarting/, 10_000, mark);
  await lineMatching(/^\[launcher\] started user \(pid \d+\)/, 10_000, mark);
  const deadline = Date.now() + 20_000;
  while (!(await userServing())) {
    assert.ok(Date.now() < deadline, "the restarted user service serves again");
    await new Promise((done) => setTimeout(done, 200));
  }

  const exited = new Promise<number | null>((done) => launcher.once("exit", (code) => done(code)));
  launcher.kill("SIGINT");
  assert.equal(await exited, 0);
  assert.equal(existsSync(join(dataDir, "pg", "postmaster.pid")), false, "PostgreSQL was stopped");
  assert.equal(await userServing(), false);
});

test("a SIGTERM to npm alone stops the launcher and everything it started", async () => {
  const dir = mkdtempSync(join(tmpdir(), "skyros-npm-start-"));
  const env = {
    ...process.env,
    SKYROS_DATA_DIR: dir,
    SKYROS_PG_PORT: String(await unusedPort()),
    USER_GRPC_PORT: String(await unusedPort()),
    PRODUCT_GRPC_PORT: String(await unusedPort()),
    ORDER_GRPC_PORT: String(await unusedPort()),
    GATEWAY_HTTP_PORT: String(await unusedPort()),
    USER_METRICS_PORT: "0",
    PRODUCT_METRICS_PORT: "0",
    ORDER_METRICS_PORT: "0",
    LOG_LEVEL: "warn",
  };
  // npm as the user's shell finds it, or the one running these tests.
  const npm = process.env.npm_execpath;
  const command = npm === undefined ? ["npm", ["start"]] : [process.execPath, [npm, "start"]];
  // In a process group of its own, so that whatever a failure leaves behind can be killed.
  const child = spawn(command[0] as string, command[1] as string[], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on("line", (line) => output.push(line));
  try {
    const deadline = Date.now() + 90_000;
    while (!output.some((line) => line.startsWith("[launcher] ready: "))) {
      assert.ok(Date.now() < deadline, `not ready:\n${output.slice(-20).join("\n")}`);
      await sleep(100);
    }
    const pids = output
      .flatMap((line) => /^\[launcher\] started \w+ \(pid (\d+)\)/.exec(line)?.[1] ?? [])
      .map(Number);
    assert.equal(pids.length, 4);
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const stopBy = Date.now() + 20_000;
    while (pids.some(alive) || existsSync(join(dir, "pg", "postmaster.pid"))) {
      assert.ok(Date.now() < stopBy, `still running after SIGTERM: ${pids.filter(alive).join(", ")}`);
      await sleep(100);
    }
  } finally {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // Nothing was left.
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
