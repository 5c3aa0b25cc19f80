/**
 * Starting and stopping one of the benchmark's own servers (the reference, the
 * minimal front) as a process of its own, so that its CPU is measured like a
 * service's. The server prints `{"port": <port>}` on standard output once it
 * listens, and stops on SIGTERM.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { serviceNodeOptions } from "@skyros/kit/node-options";

export interface ServerProcess {
  readonly url: string;
  readonly pid: number | undefined;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Runs `script` with `env` added to this process's, and waits until it listens. */
export async function startServerProcess(
  name: string,
  script: string,
  env: Readonly<Record<string, string>>,
  nodeArgs: readonly string[],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    // The same runtime settings as the services: the comparison is of the work done.
    env: { ...process.env, NODE_OPTIONS: serviceNodeOptions(process.env.NODE_OPTIONS), ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((done) => child.once("exit", done));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${name} did not start in 30 s`)), 30_000);
    child.once("exit", (code) => reject(new Error(`the ${name} exited (${code})`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
