/**
 * Whether a service's own database answers, checked in the background so
 * that its gRPC health (and through it Kubernetes readiness and the gateway's
 * /readyz) says NOT_SERVING while the database is down or hung, instead of
 * SERVING while every call fails. Only the service's own database counts:
 * another service being down is that service's health, not this one's.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { createDatabase, type Sql } from "./database.ts";

export interface DatabaseWatchOptions {
  /** Time between checks. */
  readonly intervalMs: number;
  /** A check that has not answered after this long counts as failed. */
  readonly timeoutMs: number;
  /**
   * Failed checks in a row before the database counts as down, so that one
   * slow answer under load does not take a service out of rotation.
   */
  readonly failuresBeforeDown: number;
  /** Told when the database goes down (with the last failure) and when it answers again. */
  readonly onChange: (reachable: boolean, error?: unknown) => void;
}

export interface DatabaseWatch {
  stop(): Promise<void>;
}

class CheckTimedOut extends Error {
  override name = "CheckTimedOut";
}

/** A connection for the checks, and how to destroy its socket at once. */
export interface CheckConnection {
  readonly sql: Sql;
  /**
   * The driver ends a connection politely (a FIN, then waiting for the
   * server's), which against a server that answers nothing waits as long as
   * it does: a new connection per failed check would leave one half-closed
   * socket behind each. So the check destroys its socket instead.
   */
  destroy(): void;
}

/** A check connection to `url`: one connection, whose socket the caller can destroy. */
export function openCheckConnection(url: string, applicationName: string): CheckConnection {
  const sockets = new Set<Socket>();
  let destroyed = false;
  const sql = createDatabase(url, {
    maxConnections: 1,
    applicationName,
    async socket(target) {
      // The driver reconnects a connection lost with a query pending; not this one.
      if (destroyed) throw new Error("the check connection was destroyed");
      // The first host of the URL, as the driver itself would try first.
      const socket = target.path
        ? connect(target.path)
        : connect(target.port[0] ?? 5432, target.host[0] ?? "localhost");
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      await once(socket, "connect");
      return socket;
    },
  });
  return {
    sql,
    destroy() {
      destroyed = true;
      sql.end({ timeout: 0 }).catch(() => {});
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * Checks `select 1` every interval on a connection of its own, made by
 * `connect`. A check that fails or times out destroys that connection, so a
 * server that hangs, or a connection lost without a word, costs one timeout
 * and no stuck check. The database starts out reachable: the service has just
 * migrated it.
 */
export function watchDatabase(connect: () => CheckConnection, options: DatabaseWatchOptions): DatabaseWatch {
  let reachable = true;
  let failures = 0;
  let stopped = false;
  let connection: CheckConnection | undefined;
  let timer: NodeJS.Timeout | undefined;

  const outcome = (ok: boolean, error?: unknown) => {
    if (stopped) return;
    failures = ok ? 0 : failures + 1;
    if (ok && !reachable) {
      reachable = true;
      options.onChange(true);
    } else if (!ok && reachable && failures >= options.failuresBeforeDown) {
      reachable = false;
      options.onChange(false, error);
    }
  };

  const check = async () => {
    let timeout: NodeJS.Timeout | undefined;
    try {
      connection ??= connect();
      const current = connection;
      const timedOut = new Promise<never>((_, reject) => {
        timeout = setTimeout(
          () => reject(new CheckTimedOut(`no answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      });
      try {
        await Promise.race([current.sql`select 1`.execute(), timedOut]);
      } catch (error) {
        connection = undefined;
        current.destroy();
        throw error;
      }
      outcome(true);
    } catch (error) {
      outcome(false, error);
    } finally {
      clearTimeout(timeout);
      if (!stopped) timer = setTimeout(check, options.intervalMs).unref();
    }
  };

  timer = setTimeout(check, options.intervalMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      connection?.destroy();
    },
  };
}
