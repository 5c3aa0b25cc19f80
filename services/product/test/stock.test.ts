import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  PreconditionFailureSchema,
  ResourceInfoSchema,
} from "@skyros/contracts/google/rpc/error_details_pb.js";
import { expectRpcError } from "@skyros/kit/testing";
import { as, internal, type ProductTestSystem, startProductTestSystem, type TestUser } from "./fixture.ts";

let system: ProductTestSystem;
let seller: TestUser;

before(async () => {
  system = await startProductTestSystem("product_stock");
  seller = await system.register("seller");
});

after(async () => {
  await system?.close();
});

const newProduct = async (stock: number) =>
  (await system.products.createProduct({ name: "Widget", description: "", price: 100n, stock }, as(seller)))
    .id;
const stockOf = async (id: string) => {
  // The column itself, not the API's int32 view of it.
  const [row] = await system.sql<
    { stock: number }[]
  >`select stock::float8 as stock from products where id = ${id}`;
  return row?.stock;
};
const heldFor = async (productId: string) => {
  const [row] = await system.sql<{ units: bigint | null }[]>`
    select sum(item.quantity) as units from reservation_items item
    join reservations r using (order_id)
    where item.product_id = ${productId} and r.status = 'held'`;
  return Number(row?.units ?? 0);
};
const reserve = (orderId: string, items: { productId: string; quantity: number }[]) =>
  system.products.reserveStock({ orderId, items }, internal);
const release = (orderId: string) => system.products.releaseStock({ orderId }, internal);

describe("ReserveStock", () => {
  test("takes every line's units in one go", async () => {
    const [a, b] = [await newProduct(5), await newProduct(3)];
    await reserve(randomUUID(), [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]);
    assert.equal(await stockOf(a), 3);
    assert.equal(await stockOf(b), 0);
  });

  test("lines of one product are merged", async () => {
    const a = await newProduct(5);
    const orderId = randomUUID();
    await reserve(orderId, [
      { productId: a, quantity: 2 },
      { productId: a.toUpperCase(), quantity: 2 },
    ]);
    assert.equal(await stockOf(a), 1);
    const items = await system.sql`select quantity from reservation_items where order_id = ${orderId}`;
    assert.deepEqual(
      items.map((item) => item.quantity),
      [4],
    );
  });

  test("not enough stock: FailedPrecondition naming the product, nothing taken, same answer on repeat", async () => {
    const [a, b] = [await newProduct(5), await newProduct(1)];
    const orderId = randomUUID();
    const items = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 2 },
    ];
    const error = await expectRpcError(reserve(orderId, items), Code.FailedPrecondition);
    assert.match(error.rawMessage, new RegExp(b));
    const [detail] = error.findDetails(PreconditionFailureSchema);
    assert.deepEqual(
      detail?.violations.map((v) => [v.type, v.subject]),
      [["STOCK", `products/${b}`]],
    );
    assert.equal(await stockOf(a), 5);
    assert.equal(await stockOf(b), 1);
    // Even once stock arrives, the order's outcome stays what it was.
    await system.products.updateProduct({ id: b, stock: 10 }, as(seller));
    const again = await expectRpcError(reserve(orderId, items), Code.FailedPrecondition);
    assert.equal(again.rawMessage, error.rawMessage);
    assert.equal(await stockOf(a), 5);
    assert.equal(await stockOf(b), 10);
  });

  test("an unknown or deleted product: NotFound, nothing taken, same answer on repeat", async () => {
    const a = await newProduct(5);
    const gone = await newProduct(5);
    await system.products.deleteProduct({ id: gone }, as(seller));
    const orderId = randomUUID();
    const items = [
      { productId: a, quantity: 1 },
      { productId: gone, quantity: 1 },
    ];
    const error = await expectRpcError(reserve(orderId, items), Code.NotFound);
    assert.equal(error.findDetails(ResourceInfoSchema)[0]?.resourceName, gone);
    await expectRpcError(reserve(orderId, items), Code.NotFound);
    await expectRpcError(reserve(randomUUID(), [{ productId: randomUUID(), quantity: 1 }]), Code.NotFound);
    assert.equal(await stockOf(a), 5);
  });

  test("a refusal names an unknown product first, then a second seller, then short stock, in id order", async () => {
    const [low, high] = [await newProduct(2), await newProduct(2)].sort() as [string, string];
    const other = await system.register("seller");
    const elsewhere = (
      await system.products.createProduct(
        { name: "Other", description: "", price: 100n, stock: 9 },
        as(other),
      )
    ).id;
    const unknownHigh = "ffffffff-ffff-4fff-bfff-ffffffffffff";
    const refusal = async (
      items: { productId: string; quantity: number }[],
      code: Code,
      singleSeller = true,
    ) =>
      (
        await expectRpcError(
          system.products.reserveStock({ orderId: randomUUID(), items, singleSeller }, internal),
          code,
        )
      ).rawMessage;

    // Unknown beats short stock on a lower id.
    assert.match(
      await refusal(
        [
          { productId: unknownHigh, quantity: 1 },
          { productId: low, quantity: 3 },
        ],
        Code.NotFound,
      ),
      new RegExp(unknownHigh),
    );
    // A second seller beats short stock; without single_seller it is no refusal.
    const twoSellers = [
      { productId: low, quantity: 3 },
      { productId: elsewhere, quantity: 1 },
    ];
    const mixed = await expectRpcError(
      system.products.reserveStock(
        { orderId: randomUUID(), items: twoSellers, singleSeller: true },
        internal,
      ),
      Code.InvalidArgument,
    );
    assert.deepEqual(
      mixed.findDetails(BadRequestSchema)[0]?.fieldViolations.map((violation) => violation.field),
      ["items"],
    );
    assert.match(
      await refusal(twoSellers, Code.FailedPrecondition, false),
      new RegExp(`${low}: 3 requested`),
    );
    // Of two short lines, the lower id is named.
    assert.match(
      await refusal(
        [
          { productId: high, quantity: 5 },
          { productId: low, quantity: 4 },
        ],
        Code.FailedPrecondition,
      ),
      new RegExp(`${low}: 4 requested, 2 available`),
    );
    assert.equal(await stockOf(low), 2);
    assert.equal(await stockOf(high), 2);
    assert.equal(await stockOf(elsewhere), 9);
  });

  test("held: each line with its seller, name and price when taken; a repeat answers the same", async () => {
    const a = await newProduct(5);
    const orderId = randomUUID();
    const first = await reserve(orderId, [{ productId: a, quantity: 2 }]);
    assert.deepEqual(
      first.items.map(({ productId, sellerId, name, unitPrice, quantity }) => ({
        productId,
        sellerId,
        name,
        unitPrice,
        quantity,
      })),
      [{ productId: a, sellerId: seller.id, name: "Widget", unitPrice: 100n, quantity: 2 }],
    );
    await system.products.updateProduct({ id: a, price: 999n, name: "Renamed" }, as(seller));
    const again = await reserve(orderId, [{ productId: a, quantity: 2 }]);
    assert.equal(again.items[0]?.unitPrice, 100n);
    assert.equal(again.items[0]?.name, "Widget");
    assert.equal(await stockOf(a), 3);
  });

  test("bad requests are InvalidArgument naming the field", async () => {
    const a = await newProduct(5);
    await expectRpcError(reserve("nope", [{ productId: a, quantity: 1 }]), Code.InvalidArgument, "orderId");
    await expectRpcError(reserve(randomUUID(), []), Code.InvalidArgument, "items");
    await expectRpcError(
      reserve(randomUUID(), [{ productId: a, quantity: 0 }]),
      Code.InvalidArgument,
      "items.quantity",
    );
    await expectRpcError(
      reserve(randomUUID(), [{ productId: "x", quantity: 1 }]),
      Code.InvalidArgument,
      "items.productId",
    );
    assert.equal(await stockOf(a), 5);
  });

  test("40 concurrent orders for one product with 10 units: exactly 10 units taken", async () => {
    const a = await newProduct(10);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => reserve(randomUUID(), [{ productId: a, quantity: 1 }])),
    );
    const held = results.filter((result) => result.status === "fulfilled").length;
    for (const result of results) {
      if (result.status === "rejected") {
        assert.equal(Code[ConnectError.from(result.reason).code], Code[Code.FailedPrecondition]);
      }
    }
    assert.equal(held, 10);
    assert.equal(await stockOf(a), 0);
    assert.equal(await heldFor(a), 10);
  });

  test("concurrent orders of mixed sizes over two products, lines in either order: totals exact", async () => {
    const [a, b] = [await newProduct(25), await newProduct(25)];
    const orders = Array.from({ length: 40 }, (_, i) => {
      const lines = [
        { productId: a, quantity: 1 + (i % 3) },
        { productId: b, quantity: 1 + ((i + 1) % 3) },
      ];
      return i % 2 === 0 ? lines : lines.reverse();
    });
    await Promise.allSettled(orders.map((items) => reserve(randomUUID(), items)));
    for (const product of [a, b]) {
      const stock = (await stockOf(product)) ?? -1;
      assert.ok(stock >= 0);
      assert.equal(stock + (await heldFor(product)), 25);
    }
  });

  test("the same order id from 20 concurrent callers is reserved once", async () => {
    const a = await newProduct(10);
    const orderId = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => reserve(orderId, [{ productId: a, quantity: 3 }])),
    );
    assert.ok(results.every((result) => result.status === "fulfilled"));
    assert.equal(await stockOf(a), 7);
    await reserve(orderId, [{ productId: a, quantity: 3 }]);
    assert.equal(await stockOf(a), 7);
  });
});

describe("ReleaseStock", () => {
  test("puts exactly the held units back, once", async () => {
    const [a, b] = [await newProduct(10), await newProduct(10)];
    const orderId = randomUUID();
    await reserve(orderId, [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 1 },
    ]);
    assert.equal((await release(orderId)).released, true);
    assert.equal(await stockOf(a), 10);
    assert.equal(await stockOf(b), 10);
    assert.equal((await release(orderId)).released, true);
    assert.equal(await stockOf(a), 10);
    // Once released, the order cannot take stock again.
    await expectRpcError(reserve(orderId, [{ productId: a, quantity: 4 }]), Code.FailedPrecondition);
    assert.equal(await stockOf(a), 10);
  });

  test("20 concurrent releases of one order put the units back once", async () => {
    const a = await newProduct(10);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 6 }]);
    const results = await Promise.all(Array.from({ length: 20 }, () => release(orderId)));
    assert.ok(results.every((result) => result.released));
    assert.equal(await stockOf(a), 10);
  });

  test("a deleted product still gets its units back", async () => {
    const a = await newProduct(10);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 6 }]);
    await system.products.deleteProduct({ id: a }, as(seller));
    assert.equal((await release(orderId)).released, true);
    assert.equal(await stockOf(a), 10);
  });

  test("a failed reservation has nothing to release", async () => {
    const a = await newProduct(1);
    const orderId = randomUUID();
    await expectRpcError(reserve(orderId, [{ productId: a, quantity: 2 }]), Code.FailedPrecondition);
    assert.equal((await release(orderId)).released, false);
    assert.equal(await stockOf(a), 1);
    await expectRpcError(reserve(orderId, [{ productId: a, quantity: 2 }]), Code.FailedPrecondition);
  });

  test("a release before its reservation leaves a tombstone: the late reservation takes nothing", async () => {
    const a = await newProduct(10);
    const orderId = randomUUID();
    assert.equal((await release(orderId)).released, false);
    const error = await expectRpcError(
      reserve(orderId, [{ productId: a, quantity: 2 }]),
      Code.FailedPrecondition,
    );
    const [detail] = error.findDetails(PreconditionFailureSchema);
    assert.deepEqual(
      detail?.violations.map((v) => [v.type, v.subject]),
      [["RESERVATION", `orders/${orderId}`]],
    );
    assert.equal(await stockOf(a), 10);
    assert.equal((await release(orderId)).released, false);
  });

  test("reserve and release of one order racing: the stock matches the outcome", async () => {
    for (let round = 0; round < 10; round++) {
      const a = await newProduct(10);
      const orderId = randomUUID();
      const calls = Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0 ? reserve(orderId, [{ productId: a, quantity: 4 }]) : release(orderId),
      );
      await Promise.allSettled(calls);
      const [row] = await system.sql<{ status: string }[]>`
        select status from reservations where order_id = ${orderId}`;
      assert.equal(await stockOf(a), row?.status === "held" ? 6 : 10);
      await release(orderId);
      assert.equal(await stockOf(a), 10);
    }
  });

  test("a malformed order id is InvalidArgument", async () => {
    await expectRpcError(release("nope"), Code.InvalidArgument, "orderId");
  });
});

describe("units given back past the stock limit", () => {
  const setStock = (id: string, stock: number) =>
    system.products.updateProduct({ id, stock, updateMask: { paths: ["stock"] } }, as(seller));

  test("every release fits, however high the shelf gets, and all of it can be sold again", async () => {
    // The seller keeps setting the shelf to the limit while orders hold units.
    const a = await newProduct(1_000_000_000);
    const [first, second] = [randomUUID(), randomUUID()];
    await reserve(first, [{ productId: a, quantity: 1_000_000_000 }]);
    await setStock(a, 1_000_000_000);
    await reserve(second, [{ productId: a, quantity: 1_000_000_000 }]);
    await setStock(a, 1_000_000_000);
    assert.equal((await release(first)).released, true);
    assert.equal((await release(second)).released, true);
    assert.equal(await stockOf(a), 3_000_000_000, "no unit lost");
    assert.equal(await heldFor(a), 0);
    // The API's int32 shows the most it can; the column keeps the count.
    assert.equal((await system.products.getProduct({ id: a })).stock, 2_147_483_647);
    const third = randomUUID();
    await reserve(third, [{ productId: a, quantity: 2_000_000_000 }]);
    assert.equal(await stockOf(a), 1_000_000_000);
    assert.equal((await system.products.getProduct({ id: a })).stock, 1_000_000_000);
  });
});
