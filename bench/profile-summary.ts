/**
 * Prints where a process spent its CPU, from a V8 .cpuprofile (node --cpu-prof):
 * the top functions by self time, and self time by package or project folder.
 *
 *   node bench/profile-summary.ts bench/results/profiles/gateway.cpuprofile [top=25] [function]
 *     [--scenario=a-product-by-id]
 *
 * With a function name, it prints instead the call stacks that spend the most
 * time in that function. With a scenario, it reads only the samples taken while
 * that scenario was measured (profile-windows.ts) and gives each figure per
 * request too.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readWindows, type ScenarioSelection, selectScenario } from "./profile-windows.ts";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** When the profile started, on the monotonic clock (µs). */
  readonly startTime: number;
  readonly samples: readonly number[];
  /** Each sample's time since the one before it (the first: since startTime), µs. */
  readonly timeDeltas: readonly number[];
}

/** Which samples to count, by the moment each was taken (µs, the profile's clock); all if unset. */
export type SampleFilter = (micros: number) => boolean;

/**
 * Calls `visit` with each counted sample's node and its time, which is the
 * delta to the next sample.
 */
function forEachSample(
  profile: CpuProfile,
  keep: SampleFilter | undefined,
  visit: (id: number, micros: number) => void,
): void {
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (keep === undefined || keep(at)) visit(id, profile.timeDeltas[i + 1] ?? 0);
  });
}

export interface SelfTime {
  readonly label: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  readonly busyMs: number;
  readonly functions: readonly SelfTime[];
  readonly modules: readonly SelfTime[];
  /** Project functions (not dependencies) by total time: their own and their callees'. */
  readonly projectTotals: readonly SelfTime[];
}

/** Where a script lives: `pkg:<npm package>`, `node:<builtin>`, or its path inside the project. */
function moduleOf(url: string): string {
  if (url === "") return "(native/V8)";
  if (url.startsWith("node:")) return url;
  const packages = url.split("/node_modules/");
  if (packages.length > 1) {
    const rest = (packages.at(-1) ?? "").split("/");
    return `pkg:${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const path = url.replace(/^file:\/\//, "");
  const inProject = /\/(services\/[^/]+|packages\/[^/]+|bench|scripts)\/(.*)$/.exec(path);
  return inProject ? `${inProject[1]}/${inProject[2]}` : path;
}

const sorted = (totals: Map<string, number>, busy: number, top: number): SelfTime[] =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, us]) => ({
      label,
      ms: Math.round(us / 100) / 10,
      percent: Math.round((us / busy) * 1000) / 10,
    }));

const labelOf = (frame: ProfileNode["callFrame"]) =>
  `${frame.functionName || "(anonymous)"} ${moduleOf(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;

const isProjectCode = (url: string) => url.startsWith("file://") && !url.includes("/node_modules/");

/** Self time by function and by module, and total time of project functions, from the profile's samples. */
export function summarizeProfile(profile: CpuProfile, top = 25, keep?: SampleFilter): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const totals = new Map<string, number>();
  let busy = 0;
  forEachSample(profile, keep, (id, us) => {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === "(idle)") return;
    busy += us;
    const label = labelOf(frame);
    functions.set(label, (functions.get(label) ?? 0) + us);
    modules.set(moduleOf(frame.url), (modules.get(moduleOf(frame.url)) ?? 0) + us);
    // Every project function on the stack is charged once (recursion counted once).
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const caller = byId.get(at)?.callFrame;
      if (caller !== undefined && isProjectCode(caller.url)) onStack.add(labelOf(caller));
    }
    for (const name of onStack) totals.set(name, (totals.get(name) ?? 0) + us);
  });
  return {
    busyMs: Math.round(busy / 100) / 10,
    functions: sorted(functions, busy, top),
    modules: sorted(modules, busy, top),
    projectTotals: sorted(totals, busy, top),
  };
}

/** The heaviest call stacks (up to `depth` callers) that end in a function named `name`. */
export function callersOf(
  profile: CpuProfile,
  name: string,
  top = 10,
  keep?: SampleFilter,
  depth = 8,
): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stacks = new Map<string, number>();
  let total = 0;
  forEachSample(profile, keep, (id, us) => {
    if (byId.get(id)?.callFrame.functionName !== name) return;
    total += us;
    const frames: string[] = [];
    for (let at = parent.get(id); at !== undefined && frames.length < depth; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame !== undefined && frame.functionName !== "(root)") frames.push(labelOf(frame));
    }
    const stack = frames.join("\n           <- ");
    stacks.set(stack, (stacks.get(stack) ?? 0) + us);
  });
  return sorted(stacks, total, top);
}

/** The summary as text; with the requests served meanwhile, each time per request too. */
export function formatProfileSummary(name: string, summary: ProfileSummary, requests?: number): string {
  const perRequest = (ms: number) =>
    requests === undefined || requests === 0
      ? ""
      : `  ${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req`;
  const row = (t: SelfTime) =>
    `  ${t.percent.toFixed(1).padStart(5)}%  ${t.ms.toFixed(1).padStart(9)} ms${perRequest(t.ms)}  ${t.label}`;
  return [
    `${name}: ${summary.busyMs} ms busy${requests === undefined ? "" : ` over ${requests} requests${perRequest(summary.busyMs)}`}`,
    "top functions by self time:",
    ...summary.functions.map(row),
    "self time by module:",
    ...summary.modules.map(row),
    "project functions by total time (self + callees):",
    ...summary.projectTotals.map(row),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const scenario = args.find((arg) => arg.startsWith("--scenario="))?.slice("--scenario=".length);
  const [file, top, name] = args.filter((arg) => !arg.startsWith("--"));
  if (file === undefined) {
    process.stderr.write(
      "usage: node bench/profile-summary.ts <file.cpuprofile> [top] [function] [--scenario=<name>]\n",
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  let selection: ScenarioSelection | undefined;
  try {
    selection = scenario === undefined ? undefined : selectScenario(readWindows(dirname(file)), scenario);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const keep = selection?.includes;
  if (name === undefined) {
    const summary = summarizeProfile(profile, Number(top ?? 25), keep);
    process.stdout.write(`${formatProfileSummary(file, summary, selection?.requests)}\n`);
  } else {
    for (const stack of callersOf(profile, name, Number(top ?? 10), keep)) {
      process.stdout.write(
        `${stack.percent.toFixed(1).padStart(5)}%  ${name}\n           <- ${stack.label}\n`,
      );
    }
  }
}
