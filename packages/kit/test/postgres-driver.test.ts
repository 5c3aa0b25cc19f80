/**
 * postgres.js runs with this project's connection queue: its pools keep their
 * bookkeeping bounded however many queries they run, and loading the driver
 * any other way first is refused at start-up.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { largestQueueStorage } from "../src/connection-queue.ts";
import { createDatabase, isDatabaseUnavailable, type Sql } from "../src/database.ts";
import { createTcpRelay } from "../src/tcp-relay.ts";
import { createTestDatabase, freePort } from "../src/testing.ts";

let database: { url: string; drop: () => Promise<void> };
let sql: Sql;

before(async () => {
  database = await createTestDatabase("kit_driver");
  sql = createDatabase(database.url, { maxConnections: 4, applicationName: "driver-test" });
});

after(async () => {
  await sql.end();
  await database.drop();
});

test("a pool with idle connections runs thousands of queries without its queues growing", async () => {
  // Four queries at once open all four connections; afterwards they sit idle between queries.
  await Promise.all([1, 2, 3, 4].map(() => sql`select pg_sleep(0.05)`));
  for (let query = 0; query < 3_000; query++) await sql`select ${query}::int as n`;
  // postgres.js's own queue grows by one slot per query here (3,004 slots).
  assert.ok(largestQueueStorage() > 0, "the pool's queues are this project's");
  assert.ok(largestQueueStorage() < 16, `largest queue storage ${largestQueueStorage()}`);
});

test("loading postgres.js before the driver module fails at start-up with a clear message", () => {
  const script = 'await import("postgres"); await import("@skyros/kit/postgres-driver");';
  const result = spawnSync(process.execPath, ["--input-type=module", "--eval", script], {
    cwd: join(import.meta.dirname, ".."),
    encoding: "utf8",
  });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /postgres\.js was loaded before @skyros\/kit\/postgres-driver/);
});

test("a connection ended by the server while it fetches its types fails its query, not the process", async () => {
  const direct = new URL(database.url);
  const relayPort = await freePort();
  const relay = createTcpRelay(relayPort, { host: direct.hostname, port: Number(direct.port || 5432) });
  await relay.open();
  const relayed = new URL(database.url);
  relayed.hostname = "127.0.0.1";
  relayed.port = String(relayPort);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  const pool = createDatabase(relayed.toString(), { maxConnections: 1, applicationName: "type-fetch-test" });
  try {
    // The type query reaches the server only after the server has ended its connection.
    const held = relay.holdNext("typarray", 500);
    const answer = pool`select 41 + 1 as n`.execute();
    await held;
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'type-fetch-test'`;
    // The query that opened the connection fails with it, as one the caller may retry...
    await assert.rejects(answer, (error) => isDatabaseUnavailable(error));
    // ...the next runs on a new connection, and no rejection went unhandled.
    const [row] = await pool`select 41 + 1 as n`;
    assert.equal(row?.n, 42);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await pool.end();
    await relay.cut();
  }
});
