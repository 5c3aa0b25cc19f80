/**
 * The stock saga survives a killed process: while buyers place and cancel
 * orders (retrying with their Idempotency-Key, as a careful client does), the
 * order service and then the product service are SIGKILLed and restarted. Once
 * the recovery loop has finished, both databases are read directly and the
 * invariants of API.md are checked:
 * - for every product, stock on the shelf + units held by live orders = the initial stock;
 * - every held reservation belongs to a live order, with the same lines, and
 *   every live order has a held reservation;
 * - no request (Idempotency-Key) created two orders.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { postgres } from "@skyros/kit/postgres-driver";
import { registerUser, startTestSystem, type TestSystem } from "./harness.ts";

const LIVE = ["pending", "accepted", "shipped", "delivered"];
const INITIAL_STOCK = 40;

let system: TestSystem;

before(async () => {
  system = await startTestSystem({ ORDER_RECOVERY_INTERVAL_MS: "200", ORDER_STOCK_STEP_TIMEOUT_MS: "1000" });
});

after(async () => {
  await system?.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls the gateway, turning a refused connection into a status 0 answer. */
async function call(method: string, path: string, token: string, body: unknown, headers = {}) {
  try {
    return await system.api(method, path, { token, body, headers });
  } catch {
    return { status: 0, body: undefined, text: "no answer" };
  }
}

const retryable = (status: number) => status === 0 || status === 409 || status >= 500;

test("no stock is lost or held twice when the order or the product service is killed", async () => {
  const seller = await registerUser(system, "seller");
  const buyers = await Promise.all(Array.from({ length: 6 }, () => registerUser(system, "buyer")));
  const products: string[] = [];
  for (let i = 0; i < 4; i++) {
    const created = await call("POST", "/v1/products", seller.token, {
      name: `Item ${i}`,
      description: "stock under fire",
      price: 100 + i,
      stock: INITIAL_STOCK,
    });
    assert.equal(created.status, 200, created.text);
    products.push(created.body.id);
  }

  /** Order ids each key's successful answers named. */
  const answers = new Map<string, Set<string>>();
  let running = true;
  let created = 0;
  let cancelled = 0;

  const worker = async (buyer: (typeof buyers)[number], seed: number) => {
    let n = seed;
    while (running) {
      n++;
      const first = products[n % products.length] as string;
      const second = products[(n + 1) % products.length] as string;
      const items =
        n % 3 === 0
          ? [
              { productId: first, quantity: 1 },
              { productId: second, quantity: 2 },
            ]
          : [{ productId: first, quantity: 1 + (n % 2) }];
      const key = randomUUID();
      let orderId: string | undefined;
      // A client retries with the same key until it gets a definite answer.
      for (let attempt = 0; attempt < 200; attempt++) {
        const response = await call(
          "POST",
          "/v1/orders",
          buyer.token,
          { destinationAddress: "x", items },
          {
            "Idempotency-Key": key,
          },
        );
        if (response.status === 200) {
          orderId = response.body.id;
          const ids = answers.get(key) ?? new Set();
          ids.add(response.body.id);
          answers.set(key, ids);
          created++;
          break;
        }
        if (!retryable(response.status)) break;
        await sleep(100);
      }
      if (orderId !== undefined && n % 2 === 0) {
        for (let attempt = 0; attempt < 200; attempt++) {
          const response = await call("POST", `/v1/orders/${orderId}:cancel`, buyer.token, {});
          if (response.status === 200) cancelled++;
          if (!retryable(response.status)) break;
          await sleep(100);
        }
      }
    }
  };

  const workers = buyers.map((buyer, index) => worker(buyer, index * 7));
  await sleep(1_000);
  await system.kill("order");
  await sleep(300);
  await system.start("order");
  await sleep(1_000);
  await system.kill("product");
  await sleep(300);
  await system.start("product");
  await sleep(1_000);
  running = false;
  await Promise.all(workers);
  assert.ok(created > 10, `only ${created} orders were placed`);
  assert.ok(cancelled > 0, "no order was cancelled");

  const orders = postgres(system.databaseUrls.order as string, { max: 1, onnotice: () => {} });
  const shelf = postgres(system.databaseUrls.product as string, { max: 1, onnotice: () => {} });
  try {
    // The recovery loop finishes every unfinished stock step.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [row] = await orders`
        select count(*)::int as n from orders where stock in ('reserving', 'releasing')`;
      if (row?.n === 0) break;
      assert.ok(Date.now() < deadline, `${row?.n} orders still have an unfinished stock step`);
      await sleep(200);
    }

    const orderRows = await orders<
      { id: string; status: string; stock: string; items: { productId: string; quantity: number }[] }[]
    >`
      select id, status, stock, items from orders`;
    // stock is a bigint column: counted here as exact numbers.
    const stockRows = await shelf<
      { id: string; stock: number }[]
    >`select id, stock::float8 as stock from products`;
    const heldRows = await shelf<{ order_id: string; product_id: string; quantity: number }[]>`
      select i.order_id, i.product_id, i.quantity
      from reservations r join reservation_items i using (order_id)
      where r.status = 'held'`;

    const held = new Map<string, Map<string, number>>();
    for (const row of heldRows) {
      const lines = held.get(row.order_id) ?? new Map();
      lines.set(row.product_id, row.quantity);
      held.set(row.order_id, lines);
    }

    // Every live order holds exactly its lines; no other order holds anything.
    const live = orderRows.filter((order) => LIVE.includes(order.status));
    for (const order of orderRows) {
      if (LIVE.includes(order.status)) {
        assert.equal(order.stock, "held", `live order ${order.id} is ${order.stock}`);
        assert.deepEqual(
          held.get(order.id),
          new Map(order.items.map((line) => [line.productId, line.quantity])),
          `order ${order.id} holds other lines than it has`,
        );
      } else {
        assert.ok(
          ["none", "released"].includes(order.stock),
          `order ${order.id} is ${order.status}/${order.stock}`,
        );
        assert.equal(held.has(order.id), false, `${order.status} order ${order.id} still holds stock`);
      }
    }
    const liveIds = new Set(live.map((order) => order.id));
    for (const orderId of held.keys()) {
      assert.ok(liveIds.has(orderId), `a reservation is held for ${orderId}, which is not a live order`);
    }

    // Shelf + held = initial, for every product.
    for (const product of stockRows) {
      const heldUnits = heldRows
        .filter((row) => row.product_id === product.id)
        .reduce((sum, row) => sum + row.quantity, 0);
      assert.ok(product.stock >= 0);
      assert.equal(product.stock + heldUnits, INITIAL_STOCK, `product ${product.id}`);
    }

    // One order per request: every key's answers named one order, the one its record names,
    // and every order that is not failed is named by a key.
    const keyRows = await orders<{ order_id: string }[]>`select order_id from idempotency_keys`;
    const keyed = new Set(keyRows.map((row) => row.order_id));
    for (const [key, ids] of answers) {
      assert.equal(ids.size, 1, `key ${key} was answered with ${ids.size} orders`);
      assert.ok(keyed.has([...ids][0] as string));
    }
    for (const order of orderRows) {
      if (order.status !== "failed") assert.ok(keyed.has(order.id), `order ${order.id} has no request key`);
    }
  } finally {
    await orders.end();
    await shelf.end();
  }
});
