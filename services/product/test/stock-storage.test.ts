/**
 * How stock changes are stored, in a database of its own: no other test's rows
 * or dead row versions share the pages this one fills.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { as, internal, type ProductTestSystem, startProductTestSystem, type TestUser } from "./fixture.ts";

let system: ProductTestSystem;
let seller: TestUser;

before(async () => {
  system = await startProductTestSystem("product_stock_storage");
  seller = await system.register("seller");
});

after(async () => {
  await system?.close();
});

const pageOf = async (id: string) => {
  const [row] = await system.sql<{ page: number }[]>`
    select (ctid::text::point)[0]::int as page from products where id = ${id}`;
  return row?.page;
};

test("a reservation changes a product's stock in place, on its own page (a heap-only update)", async () => {
  // Rows of one size, inserted one after another, fill whole pages.
  const description = "a sturdy widget for every workshop, ".repeat(14);
  const ids: string[] = [];
  for (let i = 0; i < 60; i += 1) {
    const { id } = await system.products.createProduct(
      { name: `Page filler ${i}`, description, price: 100n, stock: 10 },
      as(seller),
    );
    ids.push(id);
  }
  const pages = new Map<string, number | undefined>();
  for (const id of ids) pages.set(id, await pageOf(id));
  const lastPage = Math.max(...[...pages.values()].map((page) => page ?? 0));
  // One row of each page the inserts filled; the last page may have room left
  // whatever the fillfactor.
  const onFilledPages = [...new Map(ids.map((id) => [pages.get(id) ?? lastPage, id])).entries()]
    .filter(([page]) => page < lastPage)
    .map(([, id]) => id);
  assert.ok(onFilledPages.length >= 3, `rows on pages the inserts filled (${onFilledPages.length})`);
  for (const id of onFilledPages) {
    await system.products.reserveStock(
      { orderId: randomUUID(), items: [{ productId: id, quantity: 1 }] },
      internal,
    );
    const [row] = await system.sql<
      { stock: number }[]
    >`select stock::int as stock from products where id = ${id}`;
    assert.equal(row?.stock, 9);
    assert.equal(await pageOf(id), pages.get(id), "the new version stays on the row's page");
  }
});
