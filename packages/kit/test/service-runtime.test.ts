import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const runtime = new URL("../src/service-runtime.ts", import.meta.url).href;
const logger = new URL("../src/logger.ts", import.meta.url).href;

/** Runs `body` in a process of its own that logs fatal errors; its exit code and log lines. */
function crash(body: string) {
  const script = `
    import { logFatalErrors } from ${JSON.stringify(runtime)};
    import { createLogger } from ${JSON.stringify(logger)};
    logFatalErrors(createLogger({ service: "crash-test" }));
    ${body}
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  const lines = child.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  return { status: child.status, lines, stderr: child.stderr };
}

test("an uncaught exception is logged as a fatal line before the process ends with 1", () => {
  const { status, lines, stderr } = crash(`setTimeout(() => { throw new Error("boom in a timer"); }, 1);`);
  assert.equal(status, 1);
  const fatal = lines.find((line) => line.level === 60);
  assert.equal(fatal?.service, "crash-test");
  assert.equal(fatal?.origin, "uncaughtException");
  assert.equal(fatal?.err?.message, "boom in a timer");
  assert.match(stderr, /boom in a timer/);
});

test("an unhandled rejection is logged the same way", () => {
  const { status, lines } = crash(`Promise.reject(new Error("nobody caught me"));`);
  assert.equal(status, 1);
  const fatal = lines.find((line) => line.level === 60);
  assert.equal(fatal?.origin, "unhandledRejection");
  assert.equal(fatal?.err?.message, "nobody caught me");
});
