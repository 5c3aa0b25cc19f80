import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Sql } from "../src/database.ts";
import { migrate, readMigrations } from "../src/migrations.ts";
import { createTestDatabase } from "../src/testing.ts";

let database: { url: string; drop: () => Promise<void> };
let dir: string;
const pools: Sql[] = [];
const pool = () => {
  const sql = createDatabase(database.url, { maxConnections: 2, applicationName: "migrations-test" });
  pools.push(sql);
  return sql;
};

before(async () => {
  database = await createTestDatabase("kit_migrations");
  dir = await mkdtemp(join(tmpdir(), "migrations-"));
  await writeFile(
    join(dir, "0001_widgets.sql"),
    "create table widgets (id int primary key, n int not null);",
  );
  await writeFile(join(dir, "0002_seed.sql"), "insert into widgets values (1, 1);");
});

after(async () => {
  await Promise.all(pools.map((sql) => sql.end()));
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("migrations", () => {
  test("replicas starting together apply each migration exactly once", async () => {
    const migrations = await readMigrations(dir);
    const results = await Promise.all([
      migrate(pool(), migrations),
      migrate(pool(), migrations),
      migrate(pool(), migrations),
    ]);
    assert.deepEqual(results.flat().sort(), [1, 2]);
    const [row] = await pool()<{ count: bigint }[]>`select count(*) from widgets`;
    assert.equal(row?.count, 1n);
    assert.deepEqual(await migrate(pool(), migrations), []);
  });

  test("a migration edited after it was applied stops the start-up", async () => {
    const migrations = await readMigrations(dir);
    const edited = migrations.map((m) =>
      m.version === 2 ? { ...m, sql: "select 1", checksum: "different" } : m,
    );
    await assert.rejects(migrate(pool(), edited), /0002_seed\.sql changed after it was applied/);
  });

  test("a failing migration applies nothing", async () => {
    const migrations = [
      ...(await readMigrations(dir)),
      { version: 3, name: "good", sql: "create table gadgets (id int);", checksum: "a" },
      { version: 4, name: "bad", sql: "select * from no_such_table;", checksum: "b" },
    ];
    await assert.rejects(migrate(pool(), migrations));
    const [row] = await pool()`select to_regclass('gadgets') as gadgets`;
    assert.equal(row?.gadgets, null);
  });

  test("file names must be numbered", async () => {
    const badDir = await mkdtemp(join(tmpdir(), "migrations-bad-"));
    await writeFile(join(badDir, "widgets.sql"), "select 1;");
    await assert.rejects(readMigrations(badDir), /must look like 0001_name.sql/);
    await rm(badDir, { recursive: true, force: true });
  });
});
