/**
 * Leaves PostgreSQL after seeding the way a measured run should find it: with
 * a checkpoint taken.
 *
 * Why: seeding writes about 550 MB of WAL (10,000 products through the API,
 * each a commit that also updates two trigram indexes), enough for PostgreSQL
 * to start a checkpoint of its own near the end of it. Spread over a minute
 * or more, that checkpoint ran through whichever scenarios came next: every
 * page first touched after it began went to the WAL whole, and its writes
 * competed with the commits being measured. Forcing it before the first run
 * takes it out of the measurements (three runs of the order scenarios: the
 * reference's peak rose from 479-531 to 567-644 orders per second, skyros's
 * from 347-440 to 447-485).
 *
 * Deliberately no VACUUM ANALYZE, which database benchmarks often add here:
 * it would record the order tables as empty, and until autovacuum analyzes
 * them again (it had not within the runs) PostgreSQL plans every lookup of
 * orders, reservations and Idempotency-Keys as a sequential scan of a table
 * that grows by hundreds of rows a second. Measured: the order path's
 * PostgreSQL CPU tripled and the half-peak p99 went from about 0.1 to 2-5 s.
 * Never-analyzed tables are planned from their actual size instead.
 */
import { postgres } from "@skyros/kit/postgres-driver";

type Sql = ReturnType<typeof postgres>;

/**
 * Where the next WAL record will go: what has been generated, written out or
 * not. (pg_current_wal_lsn is the write position, which lags behind it on a
 * server that does not flush at commit, such as the tests' unsynced one.)
 */
async function walPosition(sql: Sql): Promise<number> {
  const [row] = await sql<{ bytes: string }[]>`
    select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text as bytes`;
  return Number(row?.bytes ?? 0);
}

async function withServer<T>(adminUrl: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/** The server's current WAL insert position in bytes. */
export function currentWalBytes(adminUrl: string): Promise<number> {
  return withServer(adminUrl, walPosition);
}

/**
 * Takes a checkpoint through the superuser URL. Returns the WAL written since
 * `startWalBytes` (from currentWalBytes), in bytes.
 */
export function checkpointAfterSeeding(adminUrl: string, startWalBytes: number): Promise<number> {
  return withServer(adminUrl, async (sql) => {
    const walBytes = (await walPosition(sql)) - startWalBytes;
    await sql`checkpoint`;
    return walBytes;
  });
}
