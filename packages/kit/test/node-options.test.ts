import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SERVICE_NODE_OPTIONS, serviceNodeOptions } from "../src/node-options.ts";

test("the operator's NODE_OPTIONS come after ours, so the operator's value of a flag wins", () => {
  assert.equal(serviceNodeOptions(undefined), "--max-semi-space-size=8");
  assert.equal(serviceNodeOptions(""), "--max-semi-space-size=8");
  assert.equal(
    serviceNodeOptions("--max-semi-space-size=32 --enable-source-maps"),
    "--max-semi-space-size=8 --max-semi-space-size=32 --enable-source-maps",
  );
});

test("the container image runs the services with the same V8 settings", () => {
  const dockerfile = readFileSync(join(import.meta.dirname, "../../../deploy/Dockerfile"), "utf8");
  const values = [...dockerfile.matchAll(/^ENV NODE_OPTIONS="([^"]*)"$/gm)].map((match) => match[1]);
  assert.deepEqual(values, [SERVICE_NODE_OPTIONS.join(" ")]);
});
