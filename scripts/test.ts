/**
 * Runs every test file with node:test against a real PostgreSQL: the server
 * named by SKYROS_TEST_DATABASE_URL (a superuser URL; each suite creates and
 * drops its own database there), or else a throw-away embedded PostgreSQL.
 * Extra arguments are passed to node --test (e.g. a file to run alone).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "@skyros/kit/embedded-postgres";
import { freePort } from "@skyros/kit/testing";

const root = join(import.meta.dirname, "..");
const patterns = [
  "packages/*/test/**/*.test.ts",
  "services/*/test/**/*.test.ts",
  "scripts/test/**/*.test.ts",
  "bench/test/**/*.test.ts",
  "test/deploy/**/*.test.ts",
  "test/e2e/**/*.test.ts",
];

let adminUrl = process.env.SKYROS_TEST_DATABASE_URL;
let stopDatabase = async () => {};
if (adminUrl === undefined || adminUrl === "") {
  const dir = mkdtempSync(join(tmpdir(), "skyros-test-pg-"));
  const embedded = await startEmbeddedPostgres({
    dataDir: join(dir, "data"),
    port: await freePort(),
    durable: false,
  });
  adminUrl = embedded.url;
  stopDatabase = async () => {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  // An interrupted run still stops its database and removes its files.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stopDatabase().finally(() => process.exit(130));
    });
  }
  console.log("tests use an embedded PostgreSQL");
} else {
  console.log(`tests use the PostgreSQL at ${new URL(adminUrl).host}`);
}

const args = process.argv.slice(2);
// A file whose tests are done exits even if a failed test left a socket or a
// timer behind: a failure must end the run, not hang it.
const child = spawn(
  process.execPath,
  [
    "--test",
    "--test-concurrency=3",
    "--test-timeout=300000",
    "--test-force-exit",
    ...(args.length > 0 ? args : patterns),
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, SKYROS_TEST_DATABASE_URL: adminUrl } },
);
const code = await new Promise<number>((resolve) => child.on("exit", (status) => resolve(status ?? 1)));
await stopDatabase();
process.exit(code);
