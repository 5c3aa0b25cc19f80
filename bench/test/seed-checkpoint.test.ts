/**
 * The checkpoint after seeding, against the test PostgreSQL server: it
 * reports the WAL written since the mark and leaves the server's last
 * checkpoint after everything written before it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { postgres } from "@skyros/kit/postgres-driver";
import { createTestDatabase, testAdminUrl } from "@skyros/kit/testing";
import { checkpointAfterSeeding, currentWalBytes } from "../seed-checkpoint.ts";

let database: { url: string; drop: () => Promise<void> };

before(async () => {
  database = await createTestDatabase("bench_checkpoint");
});

after(async () => {
  await database?.drop();
});

test("the checkpoint comes after the seeded writes, and the WAL they took is reported", async () => {
  const admin = testAdminUrl();
  const start = await currentWalBytes(admin);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await sql`create table seeded (id integer primary key, payload text)`;
    await sql`insert into seeded select n, repeat('x', 200) from generate_series(1, 20000) as n`;
    const written = (await currentWalBytes(admin)) - start;
    assert.ok(written > 4_000_000, `20,000 rows of 200 bytes take megabytes of WAL (${written})`);

    const reported = await checkpointAfterSeeding(admin, start);
    assert.ok(reported >= written, `reported ${reported}, at least the ${written} measured before`);

    const [checkpoint] = await sql<{ after_seed: boolean }[]>`
      select pg_wal_lsn_diff(redo_lsn, '0/0') >= ${String(start + written)}::numeric as after_seed
      from pg_control_checkpoint()`;
    assert.equal(checkpoint?.after_seed, true, "the last checkpoint's redo point is past the seeded writes");
  } finally {
    await sql.end();
  }
});
