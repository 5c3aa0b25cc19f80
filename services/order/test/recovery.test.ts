import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { UserSchema } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createDatabase, type Sql } from "@skyros/kit/database";
import { postgres } from "@skyros/kit/postgres-driver";
import { openMigratedDatabase } from "@skyros/kit/service-runtime";
import { createTestDatabase, rowsReadBySequentialScans, testLogger } from "@skyros/kit/testing";
import type { UserDirectory } from "@skyros/kit/user-directory";
import type { OrderContext } from "../src/context.ts";
import type { OrderLineInput } from "../src/order-building.ts";
import { startRecovery } from "../src/recovery.ts";
import type { ReserveOutcome, StockService } from "../src/stock.ts";
import { createOrderStore, type NewOrder, type OrderStore } from "../src/store.ts";

// The recovery loop against a real database and a scripted product service.
let database: { url: string; drop: () => Promise<void> };
let sql: Sql;
let store: OrderStore;

before(async () => {
  database = await createTestDatabase("order_recovery");
  sql = await openMigratedDatabase(database.url, {
    migrationsDir: new URL("../migrations", import.meta.url),
    maxConnections: 4,
    applicationName: "order-recovery-test",
    logger: testLogger("order"),
  });
  store = createOrderStore(sql, { stepTimeoutMs: 0 });
});

after(async () => {
  await sql?.end();
  await database?.drop();
});

interface ScriptedStock extends StockService {
  readonly calls: string[];
  reserveAnswer: (orderId: string, lines: readonly OrderLineInput[]) => ReserveOutcome;
  releaseFails: boolean;
}

const SELLER = { id: randomUUID(), name: "Ada Shop", address: "1 Market St" };

/** A held answer: every line a Lamp at 100 from SELLER. */
const heldLamps = (_orderId: string, lines: readonly OrderLineInput[]): ReserveOutcome => ({
  kind: "held",
  products: new Map(
    lines.map((line) => [
      line.productId,
      { id: line.productId, name: "Lamp", price: 100n, sellerId: SELLER.id },
    ]),
  ),
});

function scriptedStock(): ScriptedStock {
  const stock: ScriptedStock = {
    calls: [],
    reserveAnswer: heldLamps,
    releaseFails: false,
    async reserve(orderId, lines) {
      stock.calls.push(`reserve ${orderId}`);
      return stock.reserveAnswer(orderId, lines);
    },
    async release(orderId) {
      stock.calls.push(`release ${orderId}`);
      if (stock.releaseFails) throw new Error("product service down");
    },
  };
  return stock;
}

const context = (stock: StockService, orders: OrderStore = store): OrderContext => ({
  store: orders,
  stock,
  users: {
    verifier: { verify: () => Promise.reject(new Error("not used")) },
    usersByIds: async (ids) =>
      new Map(
        [...ids].filter((id) => id === SELLER.id).map((id) => [id, create(UserSchema, { ...SELLER, id })]),
      ),
  } satisfies UserDirectory,
  logger: testLogger("order"),
  idempotencyKeyTtlSeconds: 60,
});

const newOrder = (): NewOrder => ({
  id: randomUUID(),
  buyerId: randomUUID(),
  description: "",
  destinationAddress: "b",
  lines: [{ productId: randomUUID(), quantity: 3 }],
});

const insert = async (key?: string) => {
  const order = newOrder();
  const inserted = await store.insertOrder(
    order,
    key === undefined ? undefined : { key, requestHash: Buffer.alloc(32), ttlSeconds: 60 },
  );
  assert.equal(inserted.outcome, "inserted");
  return order;
};

const stateOf = async (id: string) => {
  const order = await store.findOrder(id);
  return `${order?.status}/${order?.stock}`;
};

const options = { intervalMs: 60_000, reservationGiveUpMs: 60_000 };

describe("recovery", () => {
  test("a reserving order is reserved again: held, or failed with nothing held", async () => {
    const stock = scriptedStock();
    const held = await insert();
    const refused = await insert();
    const unanswered = await insert();
    stock.reserveAnswer = (id, lines) =>
      id === held.id
        ? heldLamps(id, lines)
        : id === refused.id
          ? { kind: "refused", error: new ConnectError("not enough stock", Code.FailedPrecondition) }
          : { kind: "unknown" };
    const recovery = startRecovery(context(stock), options);
    await recovery.stop();
    assert.equal(await stateOf(held.id), "pending/held");
    // Built from what the reservation took.
    const built = await store.findOrder(held.id);
    assert.equal(built?.sellerId, SELLER.id);
    assert.equal(built?.sourceAddress, SELLER.address);
    assert.equal(built?.totalPrice, 300n);
    assert.deepEqual(built?.items, [
      { productId: held.lines[0]?.productId, name: "Lamp", unitPrice: 100n, quantity: 3 },
    ]);
    assert.equal(await stateOf(refused.id), "failed/none");
    assert.equal((await store.findOrder(refused.id))?.failureCode, "FailedPrecondition");
    assert.equal(await stateOf(unanswered.id), "pending/reserving");
    assert.ok(stock.calls.includes(`reserve ${unanswered.id}`));

    stock.reserveAnswer = heldLamps;
    await startRecovery(context(stock), options).stop();
    assert.equal(await stateOf(unanswered.id), "pending/held");
  });

  test("a held reservation whose order cannot be built fails, and its stock goes back", async () => {
    const stock = scriptedStock();
    // 3 units at 2^62 each: the total does not fit in an int64.
    stock.reserveAnswer = (_id, lines) => ({
      kind: "held",
      products: new Map(
        lines.map((line) => [
          line.productId,
          { id: line.productId, name: "Gem", price: 2n ** 62n, sellerId: SELLER.id },
        ]),
      ),
    });
    const order = await insert();
    await startRecovery(context(stock), options).stop();
    assert.equal(await stateOf(order.id), "failed/released");
    assert.equal((await store.findOrder(order.id))?.failureCode, "InvalidArgument");
    assert.ok(stock.calls.includes(`release ${order.id}`));
  });

  test("an order placed by the old flow keeps its seller and prices when recovery marks it held", async () => {
    const stock = scriptedStock();
    const order = await insert();
    const seller = randomUUID();
    const lines = [{ productId: order.lines[0]?.productId, name: "Old lamp", unitPrice: "70", quantity: 3 }];
    await sql`
      update orders set seller_id = ${seller}, source_address = 'old street', total_price = 210,
        items = ${sql.json(lines as never)}::jsonb
      where id = ${order.id}`;
    await startRecovery(context(stock), options).stop();
    const held = await store.findOrder(order.id);
    assert.equal(`${held?.status}/${held?.stock}`, "pending/held");
    assert.equal(held?.sellerId, seller);
    assert.equal(held?.sourceAddress, "old street");
    assert.equal(held?.totalPrice, 210n);
    assert.deepEqual(held?.items, [
      { productId: order.lines[0]?.productId, name: "Old lamp", unitPrice: 70n, quantity: 3 },
    ]);
  });

  test("an order past the give-up time whose reservation is held is held, not given up", async () => {
    const stock = scriptedStock();
    const order = await insert();
    await startRecovery(context(stock), { ...options, reservationGiveUpMs: 0 }).stop();
    assert.equal(await stateOf(order.id), "pending/held");
    assert.ok(!stock.calls.includes(`release ${order.id}`));
  });

  test("a reservation never confirmed is given up: released first, then failed, its key forgotten", async () => {
    const stock = scriptedStock();
    stock.reserveAnswer = () => ({ kind: "unknown" });
    const key = `key-${randomUUID()}`;
    const order = await insert(key);
    const recovery = startRecovery(context(stock), { ...options, reservationGiveUpMs: 0 });
    await recovery.stop();
    assert.deepEqual(
      stock.calls.filter((call) => call.endsWith(order.id)),
      [`reserve ${order.id}`, `release ${order.id}`],
    );
    assert.equal(await stateOf(order.id), "failed/released");
    assert.equal((await store.findOrder(order.id))?.failureCode, "Unavailable");
    assert.equal(await store.findIdempotencyKey(order.buyerId, key), undefined);
  });

  test("a release that failed is repeated until confirmed", async () => {
    const stock = scriptedStock();
    const order = await insert();
    await store.markHeld(order.id, {
      sellerId: SELLER.id,
      sourceAddress: SELLER.address,
      totalPrice: 300n,
      items: [{ productId: order.lines[0]?.productId as string, name: "Lamp", unitPrice: 100n, quantity: 3 }],
    });
    const cancelled = await store.transition(order.id, "buyer", order.buyerId, {
      from: "pending",
      to: "cancelled",
      release: true,
    });
    assert.equal(cancelled?.stock, "releasing");
    stock.releaseFails = true;
    await startRecovery(context(stock), options).stop();
    assert.equal(await stateOf(order.id), "cancelled/releasing");
    stock.releaseFails = false;
    await startRecovery(context(stock), options).stop();
    assert.equal(await stateOf(order.id), "cancelled/released");
    await startRecovery(context(stock), options).stop();
    assert.equal(stock.calls.filter((call) => call === `release ${order.id}`).length, 2);
  });

  test("two loops side by side never work on one order at once", async () => {
    const stock = scriptedStock();
    const orders = await Promise.all(Array.from({ length: 30 }, () => insert()));
    // Claims leased for a minute: the other loop skips them.
    const ctx = context(stock, createOrderStore(sql, { stepTimeoutMs: 60_000 }));
    await Promise.all([startRecovery(ctx, options).stop(), startRecovery(ctx, options).stop()]);
    for (const order of orders) {
      assert.equal(stock.calls.filter((call) => call === `reserve ${order.id}`).length, 1);
      assert.equal(await stateOf(order.id), "pending/held");
    }
  });

  test("the sweep of expired keys reads no live ones, however many there are", async () => {
    // One connection, so that its statistics can be flushed before they are read.
    const single = createDatabase(database.url, { maxConnections: 1, applicationName: "order-sweep-test" });
    const sweeper = createOrderStore(single, { stepTimeoutMs: 0 });
    const rowsScanned = () => rowsReadBySequentialScans(single, "idempotency_keys");
    try {
      await single`
        insert into idempotency_keys (buyer_id, key, request_hash, order_id, expire_time)
        select gen_random_uuid(), 'live-' || n, '\\x00'::bytea, gen_random_uuid(), now() + interval '1 day'
        from generate_series(1, 20000) as n`;
      await single`
        insert into idempotency_keys (buyer_id, key, request_hash, order_id, expire_time)
        select gen_random_uuid(), 'gone-' || n, '\\x00'::bytea, gen_random_uuid(), now() - interval '1 hour'
        from generate_series(1, 3) as n`;
      const before = await rowsScanned();
      const deleted = await sweeper.deleteExpiredKeys(1000);
      const read = (await rowsScanned()) - before;
      assert.ok(read < 100, `one sweep read ${read} keys by sequential scan`);
      assert.ok(deleted >= 3, `the expired keys went (${deleted})`);
      const [left] = await single<{ live: number; gone: number }[]>`
        select count(*) filter (where key like 'live-%')::int as live,
               count(*) filter (where key like 'gone-%')::int as gone
        from idempotency_keys`;
      assert.deepEqual(left, { live: 20000, gone: 0 });
    } finally {
      await single.end();
    }
  });

  test("expired keys are deleted", async () => {
    const order = newOrder();
    await store.insertOrder(order, { key: "short-lived", requestHash: Buffer.alloc(32), ttlSeconds: 0 });
    assert.equal(await store.findIdempotencyKey(order.buyerId, "short-lived"), undefined);
    await startRecovery(context(scriptedStock()), options).stop();
    const [row] = await sql`select count(*)::int as n from idempotency_keys where key = 'short-lived'`;
    assert.equal(row?.n, 0);
  });
});

describe("durability", () => {
  test("what a client is told commits durably; only repairable bookkeeping goes through the relaxed pool", async () => {
    // A relaxed pool that records every statement it runs.
    const relaxedStatements: string[] = [];
    const relaxed = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      debug: (_connection: number, query: string) =>
        relaxedStatements.push(query.replace(/\s+/g, " ").trim()),
    }) as unknown as Sql;
    try {
      const recorded = createOrderStore(sql, { stepTimeoutMs: 0, relaxed });
      const held = newOrder();
      await recorded.insertOrder(held, {
        key: "durable-held",
        requestHash: Buffer.alloc(32),
        ttlSeconds: 60,
      });
      await recorded.markHeld(held.id, {
        sellerId: SELLER.id,
        sourceAddress: SELLER.address,
        totalPrice: 300n,
        items: [
          { productId: held.lines[0]?.productId as string, name: "Lamp", unitPrice: 100n, quantity: 3 },
        ],
      });
      const refused = newOrder();
      await recorded.insertOrder(refused, {
        key: "durable-refused",
        requestHash: Buffer.alloc(32),
        ttlSeconds: 60,
      });
      await recorded.markRefused(refused.id, new ConnectError("not enough stock", Code.FailedPrecondition));
      await recorded.transition(held.id, "buyer", held.buyerId, {
        from: "pending",
        to: "cancelled",
        release: true,
      });
      await recorded.markReleased(held.id);
      await recorded.claimUnfinished(10);
      await recorded.deleteExpiredKeys(10);

      assert.equal(await stateOf(held.id), "cancelled/released");
      // (The driver's own query for array types, on connecting, is no write of ours.)
      const ours = relaxedStatements.filter((statement) => !statement.includes("pg_catalog.pg_type"));
      const kinds = ours.map((statement) =>
        /^update orders set stock = 'released'/.test(statement)
          ? "release done"
          : /^update orders set next_attempt_time = /.test(statement)
            ? "lease"
            : /^delete from idempotency_keys /.test(statement)
              ? "expired keys"
              : statement,
      );
      assert.deepEqual(kinds, ["release done", "lease", "expired keys"]);
    } finally {
      await relaxed.end();
    }
  });
});
