/** Starting and stopping the hop-free reference server as a process of its own. */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { serviceNodeOptions } from "@skyros/kit/node-options";
import { dropServiceDatabase, ensureServiceDatabase } from "@skyros/kit/provisioning";
import type { Catalog } from "./catalog.ts";
import { seedReference } from "./reference-schema.ts";

export interface RunningReference {
  readonly url: string;
  readonly pid: number | undefined;
  /** Stops the process and drops its database. */
  stop(): Promise<void>;
}

/** Creates and seeds the reference's database on the server of `adminUrl`, then starts the server. */
export async function startReference(
  adminUrl: string,
  catalog: Catalog,
  options: { namePrefix: string; nodeArgs: readonly string[] },
): Promise<RunningReference> {
  const grant = { database: `${options.namePrefix}_reference`, role: `${options.namePrefix}_reference` };
  const url = await ensureServiceDatabase(adminUrl, {
    ...grant,
    password: randomBytes(18).toString("base64url"),
  });
  await seedReference(url, catalog);
  const child = spawn(
    process.execPath,
    [...options.nodeArgs, join(import.meta.dirname, "reference-server.ts")],
    {
      // The same runtime settings as the services: the comparison is of the work done.
      env: {
        ...process.env,
        NODE_OPTIONS: serviceNodeOptions(process.env.NODE_OPTIONS),
        REFERENCE_DATABASE_URL: url,
        REFERENCE_PORT: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise((done) => child.once("exit", done));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the reference server did not start in 30 s")), 30_000);
    child.once("exit", (code) => reject(new Error(`the reference server exited (${code})`)));
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
      await dropServiceDatabase(adminUrl, grant);
    },
  };
}
