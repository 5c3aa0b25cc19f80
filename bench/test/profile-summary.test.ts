/** Reading a CPU profile for one scenario: samples are kept by the moment they were taken. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type CpuProfile, formatProfileSummary, summarizeProfile } from "../profile-summary.ts";
import { type ScenarioWindow, selectScenario } from "../profile-windows.ts";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });

// Samples at 1010, 1110, 1210, 1310 and 1410 µs; each lasts until the next one.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 3, 4] },
    { id: 2, callFrame: frame("(idle)") },
    { id: 3, callFrame: frame("route", "file:///app/services/gateway/src/router.ts") },
    { id: 4, callFrame: frame("encode", "file:///app/node_modules/@bufbuild/protobuf/dist/x.js") },
  ],
  startTime: 1000,
  samples: [3, 3, 4, 4, 2],
  timeDeltas: [10, 100, 100, 100, 100],
};

const windows: ScenarioWindow[] = [
  { scenario: "a", startMicros: 1100, endMicros: 1300, requests: 4 },
  { scenario: "b", startMicros: 1300, endMicros: 2000, requests: 1 },
  { scenario: "a", startMicros: 5000, endMicros: 6000, requests: 6 },
];

test("without a scenario every busy sample counts", () => {
  const summary = summarizeProfile(profile);
  assert.equal(summary.busyMs, 0.4);
  assert.deepEqual(
    summary.functions.map((f) => [f.label, f.percent]),
    [
      ["route services/gateway/src/router.ts:1", 50],
      ["encode pkg:@bufbuild/protobuf:1", 50],
    ],
  );
});

test("a scenario keeps only the samples taken in its windows, and sums their requests", () => {
  const a = selectScenario(windows, "a");
  assert.equal(a.requests, 10);
  assert.equal(a.includes(1099), false);
  assert.equal(a.includes(1100), true);
  assert.equal(a.includes(1300), false);
  assert.equal(a.includes(5500), true);
  const summary = summarizeProfile(profile, 25, a.includes);
  // 1110 (route, 100 µs) and 1210 (encode, 100 µs); 1010 and 1310 are outside.
  assert.deepEqual(
    summary.modules.map((m) => [m.label, m.ms]),
    [
      ["services/gateway/src/router.ts", 0.1],
      ["pkg:@bufbuild/protobuf", 0.1],
    ],
  );
  const b = summarizeProfile(profile, 25, selectScenario(windows, "b").includes);
  assert.deepEqual(
    b.functions.map((f) => f.label),
    ["encode pkg:@bufbuild/protobuf:1"],
  );
});

test("an unknown scenario is refused, naming those measured", () => {
  assert.throws(() => selectScenario(windows, "c"), /no measured run of c; the run measured: a, b/);
});

test("with the requests served, every figure is also given per request", () => {
  const text = formatProfileSummary("gateway", summarizeProfile(profile, 25), 4);
  assert.match(text, /^gateway: 0.4 ms busy over 4 requests +100\.0 µs\/req\n/);
  assert.match(text, /0\.2 ms +50\.0 µs\/req {2}route services\/gateway\/src\/router\.ts:1/);
});
