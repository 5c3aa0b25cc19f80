/**
 * Regenerates the committed protobuf-es code from `proto/` (after `buf lint`).
 * With `--check`, generates into a scratch folder instead and fails when the
 * committed code differs: CI runs that, so stale generated code cannot land.
 *
 * The google.api and google.rpc protos come from the google-proto-files package;
 * they are copied into `.proto-deps/`, a git-ignored second buf module, because
 * buf cannot read a module inside node_modules.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const generated = "packages/contracts/gen";
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
    buf("generate", "--output", scratch);
    const fresh = filesOf(join(scratch, generated));
    const committed = filesOf(join(root, generated));
    const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter(
      (file) => fresh.get(file) !== committed.get(file),
    );
    if (stale.length > 0) {
      console.error(`generated code is stale; run \`npm run generate\` and commit:\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`generated code is up to date (${fresh.size} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  rmSync(join(root, generated), { recursive: true, force: true });
  buf("generate");
}
