/**
 * The launcher's `logFile` option (the benchmark's verbose runs): the services
 * write their own lines to the file, so that they do not pass through the
 * process that started them, and only the launcher's lines reach `output`.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startTestSystem } from "./harness.ts";

interface LogLine {
  readonly service?: string;
  readonly msg?: string;
  readonly requestId?: string;
  readonly status?: number;
}

const linesOf = (file: string): LogLine[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogLine);

test("with a log file, the services' lines go to the file and only the launcher's to output", async () => {
  const dir = mkdtempSync(join(tmpdir(), "skyros-log-file-"));
  const logFile = join(dir, "services.log");
  const system = await startTestSystem({}, { logFile });
  try {
    const requestId = randomUUID();
    const response = await system.api("GET", `/v1/products/${randomUUID()}`, {
      headers: { "x-request-id": requestId },
    });
    assert.equal(response.status, 404);

    // The access line is written once the answer is sent: wait for it.
    const deadline = Date.now() + 10_000;
    let lines = linesOf(logFile);
    while (!lines.some((line) => line.requestId === requestId && line.msg === "request")) {
      assert.ok(Date.now() < deadline, `no access line for ${requestId} in the log file`);
      await new Promise((done) => setTimeout(done, 50));
      lines = linesOf(logFile);
    }
    const access = lines.find((line) => line.requestId === requestId && line.msg === "request");
    assert.equal(access?.service, "gateway");
    assert.equal(access?.status, 404);
    assert.deepEqual(
      new Set(lines.map((line) => line.service)),
      new Set(["user", "product", "order", "gateway"]),
      "every service wrote its own lines to the file",
    );

    assert.ok(system.logs("launcher").length >= 4, "the launcher reported the processes it started");
    for (const service of ["user", "product", "order", "gateway"] as const) {
      assert.deepEqual(system.logs(service), [], `no line of ${service} went through the launcher`);
    }
  } finally {
    await system.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
