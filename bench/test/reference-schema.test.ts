/**
 * The reference's seeding, against the test PostgreSQL server: its order
 * tables must not be recorded as empty, or a connection that checked the
 * foreign key of order_items while orders was small keeps a sequential scan
 * of orders for that check, and the reference slows as its orders pile up.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { createDatabase } from "@skyros/kit/database";
import { createTestDatabase, rowsReadBySequentialScans } from "@skyros/kit/testing";
import { generateCatalog } from "../catalog.ts";
import { seedReference } from "../reference-schema.ts";

let database: { url: string; drop: () => Promise<void> };

before(async () => {
  database = await createTestDatabase("bench_reference");
});

after(async () => {
  await database?.drop();
});

test("an order's foreign-key check stays an index lookup as the orders grow", async () => {
  const catalog = generateCatalog({ users: 6, sellers: 2, products: 4 });
  await seedReference(database.url, catalog);
  const buyer = catalog.buyers[0]?.id ?? "";
  const seller = catalog.sellers[0]?.id ?? "";
  const product = catalog.products[0]?.id ?? "";
  const sql = createDatabase(database.url, { maxConnections: 1, applicationName: "reference-schema-test" });
  const placeOrder = async () => {
    const id = randomUUID();
    await sql`
      insert into orders (id, buyer_id, seller_id, status, description, destination_address, total_price)
      values (${id}, ${buyer}, ${seller}, 'pending', '', '', 100)`;
    await sql`
      insert into order_items (order_id, product_id, name, unit_price, quantity)
      values (${id}, ${product}, 'item', 100, 1)`;
  };
  const rowsScanned = () => rowsReadBySequentialScans(sql, "orders");
  try {
    // Enough checks while orders is small for the server to settle on a generic plan.
    for (let i = 0; i < 8; i++) await placeOrder();
    await sql`
      insert into orders (id, buyer_id, seller_id, status, description, destination_address, total_price)
      select gen_random_uuid(), ${buyer}, ${seller}, 'pending', '', '', 100 from generate_series(1, 5000)`;
    const before = await rowsScanned();
    for (let i = 0; i < 3; i++) await placeOrder();
    const read = (await rowsScanned()) - before;
    assert.ok(read < 100, `three orders read ${read} rows of orders by sequential scan`);
  } finally {
    await sql.end();
  }
});
