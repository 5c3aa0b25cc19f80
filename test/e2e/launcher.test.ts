/**
 * `npm start` as a newcomer runs it: embedded PostgreSQL, every service as its
 * own process, a killed process restarted, and Ctrl-C stopping it all.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
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

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "skyros-launcher-"));
  ports = {
    SKYROS_PG_PORT: await freePort(),
    user: await freePort(),
    product: await freePort(),
    order: await freePort(),
    gateway: await freePort(),
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
