/**
 * Whether a service's own database answers, checked in the background so
 * that its gRPC health (and through it Kubernetes readiness and the gateway's
 * /readyz) says NOT_SERVING while the database is down or hung, instead of
 * SERVING while every call fails. Only the service's own database counts:
 * another service being down is that service's health, not this one's.
 */
import type { Sql } from "./database.ts";

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

/**
 * Checks `select 1` every interval on a connection of its own, made by
 * `connect` (one connection at most). A check that fails or times out drops
 * that connection, so a server that hangs, or a connection lost without a
 * word, costs one timeout and no stuck check. The database starts out
 * reachable: the service has just migrated it.
 */
export function watchDatabase(connect: () => Sql, options: DatabaseWatchOptions): DatabaseWatch {
  let reachable = true;
  let failures = 0;
  let stopped = false;
  let connection: Sql | undefined;
  let timer: NodeJS.Timeout | undefined;

  const outcome = (ok: boolean, error?: unknown) => {
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
    connection ??= connect();
    const current = connection;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(
        () => reject(new CheckTimedOut(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    try {
      await Promise.race([current`select 1`.execute(), timedOut]);
      if (!stopped) outcome(true);
    } catch (error) {
      connection = undefined;
      current.end({ timeout: 0 }).catch(() => {});
      if (!stopped) outcome(false, error);
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
      await connection?.end({ timeout: 0 });
    },
  };
}
