/** Naming the V8 CPU profiles a run leaves behind after the process that wrote each one. */
import { readdirSync, renameSync } from "node:fs";
import { join } from "node:path";

/**
 * Renames `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile` files of known
 * processes to `<name>.cpuprofile`; returns the paths of the renamed files.
 */
export function nameProfiles(dir: string, names: ReadonlyMap<number, string>): string[] {
  const renamed: string[] = [];
  for (const file of readdirSync(dir)) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1]);
    const name = names.get(pid);
    if (name === undefined) continue;
    const target = join(dir, `${name}.cpuprofile`);
    renameSync(join(dir, file), target);
    renamed.push(target);
  }
  return renamed;
}
