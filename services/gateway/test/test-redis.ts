/**
 * A throw-away Redis server for the tests of the shared rate limits: Debian's
 * `redis-server` on a free port, keeping nothing on disk, killed at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@skyros/kit/testing";

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const MISSING =
  "the shared rate-limit tests need redis-server on PATH (Debian and Ubuntu: apt-get install redis-server)";

/** Resolves once the server on `port` answers PING. */
async function untilAnswering(port: number, server: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (server.exitCode !== null) throw new Error(`redis-server exited with status ${server.exitCode}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
      socket.once("error", () => resolve(false));
    });
    if (answered) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}

async function launch(port: number): Promise<ChildProcess> {
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const failed = once(server, "error").then(([error]) => {
    throw (error as NodeJS.ErrnoException).code === "ENOENT" ? new Error(MISSING) : error;
  });
  await Promise.race([failed, untilAnswering(port, server)]);
  return server;
}

async function killed(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, "exit");
  server.kill("SIGKILL");
  await exited;
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let server = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => killed(server),
    async restart() {
      await killed(server);
      server = await launch(port);
    },
    stop: () => killed(server),
  };
}
