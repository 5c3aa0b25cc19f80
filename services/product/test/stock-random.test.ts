/**
 * ReserveStock and ReleaseStock in generated, concurrent mixes, from a fixed
 * seed: orders that repeat, overlap, name a product twice, another seller's
 * product or an unknown one, and releases that come first, twice, or while
 * their reservation is still running. After every round, every unit of every
 * product is on its shelf or held by exactly one reservation, and no call
 * failed with an error of ours.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { seededRandom } from "@skyros/kit/testing";
import { as, internal, type ProductTestSystem, startProductTestSystem } from "./fixture.ts";

const SEED = 512;
const ROUNDS = 25;
const CALLS_PER_ROUND = 12;
const INITIAL_STOCK = 15;
/** What a call may fail with: the caller's mistake or the state of the stock, never our fault. */
const EXPECTED_CODES = new Set([Code.InvalidArgument, Code.NotFound, Code.FailedPrecondition, Code.Aborted]);

let system: ProductTestSystem;
let products: string[];

before(async () => {
  system = await startProductTestSystem("product_stock_random");
  const [seller, other] = await Promise.all([system.register("seller"), system.register("seller")]);
  const create = async (owner: typeof seller) =>
    (
      await system.products.createProduct(
        { name: "Widget", description: "", price: 100n, stock: INITIAL_STOCK },
        as(owner),
      )
    ).id;
  products = await Promise.all([create(seller), create(seller), create(seller), create(other)]);
});

after(async () => {
  await system?.close();
});

/** Units on the shelf and units held by live reservations, per product. */
async function ledger(): Promise<Map<string, { shelf: number; held: number }>> {
  const rows = await system.sql<{ id: string; shelf: number; held: number }[]>`
    select p.id, p.stock::float8 as shelf, coalesce(sum(i.quantity) filter (where r.status = 'held'), 0)::float8 as held
    from products p
    left join reservation_items i on i.product_id = p.id
    left join reservations r on r.order_id = i.order_id
    where p.id = any(${products}::uuid[])
    group by p.id`;
  return new Map(rows.map((row) => [row.id, { shelf: row.shelf, held: row.held }]));
}

test("generated concurrent reservations and releases keep every unit on a shelf or in one reservation", async () => {
  const random = seededRandom(SEED);
  const uuid = () => {
    const hex = random.bytes(16).toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  };
  const orders = Array.from({ length: 30 }, uuid);
  const unknownProduct = uuid();
  const failures = new Map<string, number>();
  let held = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const calls = Array.from({ length: CALLS_PER_ROUND }, () => {
      const orderId = random.pick(orders);
      if (random.next() < 0.35) return system.products.releaseStock({ orderId }, internal);
      const items = Array.from({ length: 1 + random.int(3) }, () => ({
        productId: random.next() < 0.05 ? unknownProduct : random.pick(products),
        quantity: 1 + random.int(6),
      }));
      return system.products.reserveStock({ orderId, items, singleSeller: random.next() < 0.7 }, internal);
    });
    for (const outcome of await Promise.allSettled(calls)) {
      if (outcome.status === "fulfilled") {
        if ("items" in outcome.value && outcome.value.items.length > 0) held++;
        continue;
      }
      const error = ConnectError.from(outcome.reason);
      assert.ok(EXPECTED_CODES.has(error.code), `round ${round}: ${Code[error.code]} ${error.rawMessage}`);
      failures.set(Code[error.code], (failures.get(Code[error.code]) ?? 0) + 1);
    }
    for (const [id, { shelf, held: units }] of await ledger()) {
      assert.ok(shelf >= 0, `round ${round}: ${id} has ${shelf} on its shelf`);
      assert.equal(shelf + units, INITIAL_STOCK, `round ${round}: ${id} shelf ${shelf} + held ${units}`);
    }
  }
  // The mix reached both sides: reservations that held, and refusals for want of stock.
  assert.ok(held >= 20, `only ${held} reservations held`);
  assert.ok((failures.get("FailedPrecondition") ?? 0) >= 10, JSON.stringify([...failures]));
});
