/**
 * CPU time of processes, read from /proc: what each process of the system spent
 * (user + system time) while a scenario ran, so it can be divided by the
 * requests served.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { postgres } from "@skyros/kit/postgres-driver";

/** Clock ticks per second: the unit of the times in /proc/<pid>/stat. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  readonly ppid: number;
  /** utime + stime of the process itself. */
  readonly own: number;
  /** cutime + cstime: the time of its children that have exited and been waited for. */
  readonly children: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (n: number) => Number(fields[n - 3]);
  return { ppid: field(4), own: field(14) + field(15), children: field(16) + field(17) };
}

/** Something whose CPU time is sampled: a process, or a process tree. */
export interface CpuTarget {
  readonly name: string;
  /** Seconds of CPU spent so far; undefined when the process is gone. */
  seconds(): number | undefined;
}

/** One process, threads included. */
export function processTarget(name: string, pid: () => number | undefined): CpuTarget {
  return {
    name,
    seconds() {
      const id = pid();
      const stat = id === undefined ? undefined : readStat(id);
      return stat === undefined ? undefined : stat.own / CLOCK_TICKS;
    },
  };
}

/**
 * A server that forks a process per connection (PostgreSQL): the root, its live
 * children, and the children that already exited (counted in the root's cutime).
 */
export function processTreeTarget(name: string, rootPid: number): CpuTarget {
  return {
    name,
    seconds() {
      const root = readStat(rootPid);
      if (root === undefined) return undefined;
      let ticks = root.own + root.children;
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const stat = readStat(Number(entry));
        if (stat?.ppid === rootPid) ticks += stat.own + stat.children;
      }
      return ticks / CLOCK_TICKS;
    },
  };
}

/** CPU seconds the whole machine has spent busy (all cores, idle and iowait excluded). */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] =
    readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS
  );
}

/** CPU seconds of each target at this moment. */
export function sampleCpu(targets: readonly CpuTarget[]): Map<string, number | undefined> {
  return new Map(targets.map((target) => [target.name, target.seconds()]));
}

/**
 * The PID of the PostgreSQL postmaster behind `adminUrl`, when it runs on this
 * machine: the parent of our own backend process. Undefined for a remote server.
 */
export async function findPostmasterPid(adminUrl: string): Promise<number | undefined> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const backend = row === undefined ? undefined : readStat(row.pid);
    if (backend === undefined) return undefined;
    const comm = readFileSync(`/proc/${backend.ppid}/comm`, "utf8").trim();
    return comm.startsWith("postgres") ? backend.ppid : undefined;
  } catch {
    return undefined;
  } finally {
    await sql.end();
  }
}
