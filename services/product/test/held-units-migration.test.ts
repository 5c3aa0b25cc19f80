/**
 * Migration 0004 on a database that already has reservations: each product's
 * held column starts at the units its held reservations took, and the new
 * functions keep it in step from there.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { createDatabase, type Sql } from "@skyros/kit/database";
import { migrate, readMigrations } from "@skyros/kit/migrations";
import { createTestDatabase } from "@skyros/kit/testing";

let database: { url: string; drop: () => Promise<void> };
let sql: Sql;

before(async () => {
  database = await createTestDatabase("product_held_migration");
  sql = createDatabase(database.url, { maxConnections: 2, applicationName: "held-migration-test" });
});

after(async () => {
  await sql?.end();
  await database?.drop();
});

test("held starts at what held reservations took, and follows reserve and release", async () => {
  const migrations = await readMigrations(new URL("../migrations", import.meta.url));
  await migrate(
    sql,
    migrations.filter((migration) => migration.version < 4),
  );
  const seller = randomUUID();
  const [a, b] = [randomUUID(), randomUUID()].sort();
  for (const id of [a, b]) {
    await sql`insert into products (id, seller_id, name, description, price, stock)
              values (${id as string}, ${seller}, 'Lamp', '', 100, 50)`;
  }
  // With the functions of 0003: two orders held, one of them then released.
  const reserve = (orderId: string, quantities: number[]) =>
    sql`select * from reserve_stock(${orderId}::uuid, ${[a, b] as string[]}::uuid[], ${quantities}::integer[], true)`;
  const [kept, released] = [randomUUID(), randomUUID()];
  await reserve(kept, [3, 4]);
  await reserve(released, [5, 6]);
  await sql`select * from release_stock(${released}::uuid)`;

  await migrate(sql, migrations);
  const rows = await sql<{ id: string; stock: number; held: number }[]>`
    select id, stock, held from products order by id`;
  assert.deepEqual(
    rows.map(({ stock, held }) => ({ stock, held })),
    [
      { stock: 47, held: 3 },
      { stock: 46, held: 4 },
    ],
  );

  await sql`select * from release_stock(${kept}::uuid)`;
  await reserve(randomUUID(), [10, 1]);
  const after = await sql<{ stock: number; held: number }[]>`select stock, held from products order by id`;
  assert.deepEqual(
    after.map(({ stock, held }) => ({ stock, held })),
    [
      { stock: 40, held: 10 },
      { stock: 49, held: 1 },
    ],
  );
});
