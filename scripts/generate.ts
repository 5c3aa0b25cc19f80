/**
 * Regenerates the committed protobuf-es code from `proto/` (after `buf lint`).
 * With `--check`, generates into a scratch folder instead and fails when the
 * committed code differs: CI runs that, so stale generated code cannot land.
 *
 * The google.api and google.rpc protos come from the google-proto-files package;
 * they are copied into `.proto-deps/`, a git-ignored second buf module, because
 * buf cannot read a module inside node_modules.
 *
 * Before generating, the contracts are checked against the released ones
 * (`packages/contracts/baseline.binpb`, a buf image) with `buf breaking`: a
 * change that would break a client of the published API (a field renumbered or
 * removed, a type or RPC renamed) fails here. When a new version is released
 * on purpose, `npm run generate -- --baseline` makes the current contracts the
 * baseline.
 *
 * Each target pairs a buf template with the folder it writes: the contracts,
 * and the gateway's test-only contracts (which import the generated contracts).
 * Next to the code, `descriptors.json` holds the target's own descriptors with
 * their comments (which protobuf-es leaves out of generated code): the gateway
 * documents the API with them.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const targets = [
  { template: "buf.gen.yaml", input: "proto", out: "packages/contracts/gen" },
  {
    template: "services/gateway/test/buf.gen.yaml",
    input: "services/gateway/test/proto",
    out: "services/gateway/test/gen",
  },
];
const depsDir = join(root, ".proto-deps");
const googleProtos = dirname(createRequire(import.meta.url).resolve("google-proto-files/package.json"));
const dependencies = [
  "google/api/annotations.proto",
  "google/api/http.proto",
  "google/rpc/status.proto",
  "google/rpc/code.proto",
  "google/rpc/error_details.proto",
];

rmSync(depsDir, { recursive: true, force: true });
for (const file of dependencies) {
  mkdirSync(dirname(join(depsDir, file)), { recursive: true });
  cpSync(join(googleProtos, file), join(depsDir, file));
}

const buf = (...args: string[]) => execFileSync("buf", args, { cwd: root, stdio: "inherit" });
buf("lint", "proto");
const baseline = "packages/contracts/baseline.binpb";
if (process.argv.includes("--baseline")) {
  buf("build", "proto", "-o", baseline);
  console.log(`the contracts as they are now are the baseline (${baseline})`);
}
try {
  buf("breaking", "proto", "--against", baseline);
} catch {
  console.error(
    `the contracts break compatibility with ${baseline} (above); undo the change, or release a new version and run \`npm run generate -- --baseline\``,
  );
  process.exit(1);
}

function generate(target: (typeof targets)[number], outputRoot: string): void {
  buf("generate", "--template", target.template, "--output", outputRoot);
  const out = join(outputRoot, target.out);
  mkdirSync(out, { recursive: true });
  buf("build", target.input, "--exclude-imports", "-o", join(out, "descriptors.json"));
}

function filesOf(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), readFileSync(path, "utf8"));
  }
  return files;
}

if (process.argv.includes("--check")) {
  const scratch = mkdtempSync(join(tmpdir(), "skyros-generate-"));
  try {
    const stale: string[] = [];
    let count = 0;
    for (const target of targets) {
      const { out } = target;
      generate(target, scratch);
      const fresh = filesOf(join(scratch, out));
      const committed = filesOf(join(root, out));
      count += fresh.size;
      for (const file of new Set([...fresh.keys(), ...committed.keys()])) {
        if (fresh.get(file) !== committed.get(file)) stale.push(join(out, file));
      }
    }
    if (stale.length > 0) {
      console.error(`generated code is stale; run \`npm run generate\` and commit:\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`generated code is up to date (${count} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  for (const target of targets) {
    rmSync(join(root, target.out), { recursive: true, force: true });
    generate(target, root);
  }
}
