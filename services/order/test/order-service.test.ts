import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, PreconditionFailureSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import type { Order } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { expectRpcError } from "@skyros/kit/testing";
import { IDEMPOTENCY_KEY_REUSED } from "../src/idempotency.ts";
import { auth, eventually, type OrderTestBed, registerUser, startOrderTestBed } from "./fixture.ts";

let bed: OrderTestBed;
type User = Awaited<ReturnType<typeof registerUser>>;
let seller: User;
let otherSeller: User;
let buyer: User;
let otherBuyer: User;

before(async () => {
  bed = await startOrderTestBed({
    ORDER_RECOVERY_INTERVAL_MS: "100",
    ORDER_STOCK_STEP_TIMEOUT_MS: "300",
    ORDER_IDEMPOTENCY_KEY_TTL_SECONDS: "2",
  });
  [seller, otherSeller, buyer, otherBuyer] = await Promise.all([
    registerUser(bed, "seller", "1 Warehouse Rd"),
    registerUser(bed, "seller"),
    registerUser(bed, "buyer"),
    registerUser(bed, "buyer"),
  ]);
});

after(async () => {
  await bed?.close();
});

const newProduct = async (stock: number, price = 1250n, owner = seller) =>
  (await bed.products.createProduct({ name: "Lamp", description: "a lamp", price, stock }, auth(owner.token)))
    .id;
const stockOf = async (id: string) => (await bed.products.getProduct({ id })).stock;
const place = (items: { productId: string; quantity: number }[], who = buyer, headers = {}) =>
  bed.orders.createOrder(
    { description: "a gift", destinationAddress: "2 Side St", items },
    auth(who.token, headers),
  );

describe("CreateOrder", () => {
  test("a buyer's order is pending, with snapshots, totals and addresses, and holds its stock", async () => {
    const lamp = await newProduct(10, 1250n);
    const desk = await newProduct(3, 40_000n);
    const order = await place([
      { productId: lamp, quantity: 2 },
      { productId: desk, quantity: 1 },
      { productId: lamp, quantity: 1 },
    ]);
    assert.equal(order.status, "pending");
    assert.equal(order.totalPrice, 3n * 1250n + 40_000n);
    assert.equal(order.sourceAddress, "1 Warehouse Rd");
    assert.equal(order.destinationAddress, "2 Side St");
    assert.equal(order.description, "a gift");
    assert.equal(order.buyer?.id, buyer.id);
    assert.equal(order.buyer?.address, buyer.address);
    assert.equal(order.seller?.id, seller.id);
    assert.deepEqual(
      order.items.map((item) => [item.productId, item.name, item.unitPrice, item.quantity]),
      [
        [lamp, "Lamp", 1250n, 3],
        [desk, "Lamp", 40_000n, 1],
      ],
    );
    assert.equal(await stockOf(lamp), 7);
    assert.equal(await stockOf(desk), 2);

    await bed.products.updateProduct({ id: lamp, price: 9999n, name: "Renamed" }, auth(seller.token));
    const again = await bed.orders.getOrder({ orderId: order.id }, auth(buyer.token));
    assert.equal(again.items[0]?.unitPrice, 1250n);
    assert.equal(again.items[0]?.name, "Lamp");
    assert.equal(again.totalPrice, order.totalPrice);
  });

  test("only buyers may order", async () => {
    const lamp = await newProduct(5);
    await expectRpcError(place([{ productId: lamp, quantity: 1 }], seller), Code.PermissionDenied);
    await expectRpcError(
      bed.orders.createOrder({ destinationAddress: "x", items: [{ productId: lamp, quantity: 1 }] }),
      Code.Unauthenticated,
    );
  });

  test("bad input is InvalidArgument naming the field; unknown products NotFound", async () => {
    const lamp = await newProduct(5);
    await expectRpcError(place([]), Code.InvalidArgument, "items");
    await expectRpcError(
      place([{ productId: lamp, quantity: 0 }]),
      Code.InvalidArgument,
      "items[0].quantity",
    );
    await expectRpcError(
      place([{ productId: lamp, quantity: -3 }]),
      Code.InvalidArgument,
      "items[0].quantity",
    );
    await expectRpcError(
      place([{ productId: "nope", quantity: 1 }]),
      Code.InvalidArgument,
      "items[0].productId",
    );
    await expectRpcError(
      bed.orders.createOrder(
        { destinationAddress: "", items: [{ productId: lamp, quantity: 1 }] },
        auth(buyer.token),
      ),
      Code.InvalidArgument,
      "destinationAddress",
    );
    await expectRpcError(
      bed.orders.createOrder(
        { description: "nul\u0000byte", destinationAddress: "x", items: [{ productId: lamp, quantity: 1 }] },
        auth(buyer.token),
      ),
      Code.InvalidArgument,
      "description",
    );
    const unknown = await expectRpcError(
      place([{ productId: "3f0e5a4e-0000-4000-8000-000000000000", quantity: 1 }]),
      Code.NotFound,
    );
    assert.match(unknown.rawMessage, /3f0e5a4e-0000-4000-8000-000000000000/);
    const theirs = await newProduct(5, 100n, otherSeller);
    await expectRpcError(
      place([
        { productId: lamp, quantity: 1 },
        { productId: theirs, quantity: 1 },
      ]),
      Code.InvalidArgument,
      "items",
    );
    assert.equal(await stockOf(lamp), 5);
  });

  test("not enough stock is FailedPrecondition; nothing is held and no order is left", async () => {
    const lamp = await newProduct(5);
    const desk = await newProduct(1);
    const before = await bed.orders.listOrders({ pageSize: 100 }, auth(otherBuyer.token));
    await expectRpcError(
      place(
        [
          { productId: lamp, quantity: 2 },
          { productId: desk, quantity: 2 },
        ],
        otherBuyer,
      ),
      Code.FailedPrecondition,
    );
    assert.equal(await stockOf(lamp), 5);
    assert.equal(await stockOf(desk), 1);
    const afterList = await bed.orders.listOrders({ pageSize: 100 }, auth(otherBuyer.token));
    assert.equal(afterList.result.length, before.result.length);
  });

  test("concurrent buyers never take more than the stock", async () => {
    const lamp = await newProduct(5);
    // A request left unconfirmed (Unavailable, or Aborted while it runs) is retried with its key.
    const order = async (key: string) => {
      for (;;) {
        try {
          return await place([{ productId: lamp, quantity: 1 }], buyer, { "idempotency-key": key });
        } catch (error) {
          const { code } = ConnectError.from(error);
          if (code !== Code.Unavailable && code !== Code.Aborted) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => order(`race-${Date.now()}-${i}`)),
    );
    const placed = results.filter((result) => result.status === "fulfilled");
    assert.equal(placed.length, 5);
    for (const result of results) {
      if (result.status === "rejected") {
        assert.equal(ConnectError.from(result.reason).code, Code.FailedPrecondition);
      }
    }
    assert.equal(await stockOf(lamp), 0);
  });
});

describe("Idempotency-Key", () => {
  test("a repeat returns the first order and creates nothing; another body is refused", async () => {
    const lamp = await newProduct(10);
    const key = { "idempotency-key": `key-${Date.now()}-a` };
    const first = await place([{ productId: lamp, quantity: 2 }], buyer, key);
    const second = await place([{ productId: lamp, quantity: 2 }], buyer, key);
    assert.equal(second.id, first.id);
    assert.equal(await stockOf(lamp), 8);
    const reused = await expectRpcError(
      place([{ productId: lamp, quantity: 3 }], buyer, key),
      Code.FailedPrecondition,
    );
    assert.equal(reused.findDetails(ErrorInfoSchema)[0]?.reason, IDEMPOTENCY_KEY_REUSED);
    // Keys are the buyer's own: another buyer's identical key is another order.
    const theirs = await place([{ productId: lamp, quantity: 2 }], otherBuyer, key);
    assert.notEqual(theirs.id, first.id);
    assert.equal(await stockOf(lamp), 6);
  });

  test("a repeat after the order changed still gets the first answer", async () => {
    const lamp = await newProduct(5);
    const key = { "idempotency-key": `key-${Date.now()}-changed` };
    const first = await place([{ productId: lamp, quantity: 2 }], buyer, key);
    assert.equal(first.status, "pending");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelled = await bed.orders.cancelOrder({ orderId: first.id }, auth(buyer.token));
    assert.equal(cancelled.status, "cancelled");
    const repeat = await place([{ productId: lamp, quantity: 2 }], buyer, key);
    assert.deepEqual(repeat, first);
    assert.equal(await stockOf(lamp), 5, "the repeat took nothing");
    const now = await bed.orders.getOrder({ orderId: first.id }, auth(buyer.token));
    assert.equal(now.status, "cancelled");
  });

  test("a repeat gets the first order even after its product is deleted", async () => {
    const lamp = await newProduct(5);
    const key = { "idempotency-key": `key-${Date.now()}-gone` };
    const first = await place([{ productId: lamp, quantity: 1 }], buyer, key);
    await bed.products.deleteProduct({ id: lamp }, auth(seller.token));
    assert.equal((await place([{ productId: lamp, quantity: 1 }], buyer, key)).id, first.id);
    await expectRpcError(place([{ productId: lamp, quantity: 1 }], buyer), Code.NotFound);
  });

  test("a failed first request is repeated as the same failure", async () => {
    const lamp = await newProduct(1);
    const key = { "idempotency-key": `key-${Date.now()}-b` };
    const first = await expectRpcError(
      place([{ productId: lamp, quantity: 2 }], buyer, key),
      Code.FailedPrecondition,
    );
    await bed.products.updateProduct({ id: lamp, stock: 10 }, auth(seller.token));
    const again = await expectRpcError(
      place([{ productId: lamp, quantity: 2 }], buyer, key),
      Code.FailedPrecondition,
    );
    assert.equal(again.rawMessage, first.rawMessage);
    // Details included: which product was short.
    const subjects = (error: ConnectError) =>
      error
        .findDetails(PreconditionFailureSchema)
        .flatMap((detail) => detail.violations.map((v) => v.subject));
    assert.deepEqual(subjects(first), [`products/${lamp}`]);
    assert.deepEqual(subjects(again), subjects(first));
    assert.equal(await stockOf(lamp), 10);
  });

  test("concurrent requests with one key create one order", async () => {
    const lamp = await newProduct(100);
    const key = { "idempotency-key": `key-${Date.now()}-c` };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => place([{ productId: lamp, quantity: 1 }], buyer, key)),
    );
    const ids = new Set<string>();
    for (const result of results) {
      if (result.status === "fulfilled") ids.add(result.value.id);
      // Aborted while the first runs; Unavailable only if the machine is too busy to confirm in time.
      else assert.ok([Code.Aborted, Code.Unavailable].includes(ConnectError.from(result.reason).code));
    }
    await eventually(async () => {
      try {
        ids.add((await place([{ productId: lamp, quantity: 1 }], buyer, key)).id);
        return true;
      } catch {
        return false;
      }
    });
    assert.equal(ids.size, 1);
    assert.equal(await stockOf(lamp), 99);
  });

  test("an expired key is forgotten", async () => {
    const lamp = await newProduct(10);
    const key = { "idempotency-key": `key-${Date.now()}-d` };
    const first = await place([{ productId: lamp, quantity: 1 }], buyer, key);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const second = await place([{ productId: lamp, quantity: 1 }], buyer, key);
    assert.notEqual(second.id, first.id);
    assert.equal(await stockOf(lamp), 8);
  });

  test("an oversized key is InvalidArgument", async () => {
    const lamp = await newProduct(1);
    await expectRpcError(
      place([{ productId: lamp, quantity: 1 }], buyer, { "idempotency-key": "k".repeat(256) }),
      Code.InvalidArgument,
      "Idempotency-Key",
    );
  });
});

describe("lifecycle", () => {
  test("seller accepts and ships, buyer takes delivery", async () => {
    const lamp = await newProduct(3);
    const order = await place([{ productId: lamp, quantity: 1 }]);
    const id = { orderId: order.id };
    assert.equal((await bed.orders.acceptOrder(id, auth(seller.token))).status, "accepted");
    assert.equal((await bed.orders.shipOrder(id, auth(seller.token))).status, "shipped");
    const delivered = await bed.orders.deliverOrder(id, auth(buyer.token));
    assert.equal(delivered.status, "delivered");
    assert.equal(delivered.seller?.id, seller.id);
    assert.equal(await stockOf(lamp), 2);
  });

  test("any other transition is FailedPrecondition naming the current status", async () => {
    const lamp = await newProduct(3);
    const order = await place([{ productId: lamp, quantity: 1 }]);
    const id = { orderId: order.id };
    const error = await expectRpcError(bed.orders.shipOrder(id, auth(seller.token)), Code.FailedPrecondition);
    assert.match(error.rawMessage, /pending/);
    await expectRpcError(bed.orders.deliverOrder(id, auth(buyer.token)), Code.FailedPrecondition);
    await bed.orders.acceptOrder(id, auth(seller.token));
    const cancel = await expectRpcError(
      bed.orders.cancelOrder(id, auth(buyer.token)),
      Code.FailedPrecondition,
    );
    assert.match(cancel.rawMessage, /accepted/);
    await expectRpcError(bed.orders.rejectOrder(id, auth(seller.token)), Code.FailedPrecondition);
  });

  test("the wrong party: strangers NotFound, the other party PermissionDenied", async () => {
    const lamp = await newProduct(3);
    const order = await place([{ productId: lamp, quantity: 1 }]);
    const id = { orderId: order.id };
    await expectRpcError(bed.orders.acceptOrder(id, auth(otherSeller.token)), Code.NotFound);
    await expectRpcError(bed.orders.cancelOrder(id, auth(otherBuyer.token)), Code.NotFound);
    await expectRpcError(bed.orders.acceptOrder(id, auth(buyer.token)), Code.PermissionDenied);
    await expectRpcError(bed.orders.cancelOrder(id, auth(seller.token)), Code.PermissionDenied);
    await expectRpcError(
      bed.orders.cancelOrder({ orderId: "3f0e5a4e-0000-4000-8000-000000000001" }, auth(buyer.token)),
      Code.NotFound,
    );
    await expectRpcError(
      bed.orders.cancelOrder({ orderId: "x" }, auth(buyer.token)),
      Code.InvalidArgument,
      "orderId",
    );
  });

  test("cancel and reject return the stock exactly once", async () => {
    const lamp = await newProduct(4);
    const first = await place([{ productId: lamp, quantity: 2 }]);
    const second = await place([{ productId: lamp, quantity: 1 }]);
    assert.equal(await stockOf(lamp), 1);
    assert.equal(
      (await bed.orders.cancelOrder({ orderId: first.id }, auth(buyer.token))).status,
      "cancelled",
    );
    assert.equal(await stockOf(lamp), 3);
    await expectRpcError(
      bed.orders.cancelOrder({ orderId: first.id }, auth(buyer.token)),
      Code.FailedPrecondition,
    );
    assert.equal(
      (await bed.orders.rejectOrder({ orderId: second.id }, auth(seller.token))).status,
      "rejected",
    );
    assert.equal(await stockOf(lamp), 4);
    await expectRpcError(
      bed.orders.rejectOrder({ orderId: second.id }, auth(seller.token)),
      Code.FailedPrecondition,
    );
    assert.equal(await stockOf(lamp), 4);
  });

  test("of a concurrent accept and cancel exactly one wins", async () => {
    const lamp = await newProduct(20);
    for (let round = 0; round < 5; round++) {
      const order = await place([{ productId: lamp, quantity: 1 }]);
      const [accepted, cancelled] = await Promise.allSettled([
        bed.orders.acceptOrder({ orderId: order.id }, auth(seller.token)),
        bed.orders.cancelOrder({ orderId: order.id }, auth(buyer.token)),
      ]);
      assert.equal([accepted, cancelled].filter((result) => result.status === "fulfilled").length, 1);
      const final = await bed.orders.getOrder({ orderId: order.id }, auth(buyer.token));
      assert.equal(final.status, accepted.status === "fulfilled" ? "accepted" : "cancelled");
    }
  });
});

describe("reads", () => {
  test("an order is visible to its buyer and seller only", async () => {
    const lamp = await newProduct(3);
    const order = await place([{ productId: lamp, quantity: 1 }]);
    assert.equal((await bed.orders.getOrder({ orderId: order.id }, auth(buyer.token))).id, order.id);
    assert.equal((await bed.orders.getOrder({ orderId: order.id }, auth(seller.token))).id, order.id);
    await expectRpcError(bed.orders.getOrder({ orderId: order.id }, auth(otherBuyer.token)), Code.NotFound);
    await expectRpcError(bed.orders.getOrder({ orderId: order.id }, auth(otherSeller.token)), Code.NotFound);
    await expectRpcError(bed.orders.getOrder({ orderId: order.id }), Code.Unauthenticated);
  });

  test("lists are the caller's, newest first, filtered and paged", async () => {
    const shopper = await registerUser(bed, "buyer");
    const lamp = await newProduct(10);
    const placed: Order[] = [];
    for (let i = 0; i < 5; i++) placed.push(await place([{ productId: lamp, quantity: 1 }], shopper));
    await bed.orders.cancelOrder({ orderId: placed[1]?.id as string }, auth(shopper.token));

    const all = await bed.orders.listOrders({}, auth(shopper.token));
    assert.deepEqual(
      all.result.map((order) => order.id),
      placed.map((order) => order.id).reverse(),
    );
    assert.equal(all.nextPageToken, "");
    assert.equal(all.result[0]?.buyer?.id, shopper.id);
    assert.equal(all.result[0]?.seller?.address, "1 Warehouse Rd");

    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await bed.orders.listOrders({ pageSize: 2, pageToken }, auth(shopper.token));
      assert.ok(page.result.length <= 2);
      seen.push(...page.result.map((order) => order.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    assert.deepEqual(seen, placed.map((order) => order.id).reverse());

    const legacy = await bed.orders.listOrders({ limit: 2, offset: 1 }, auth(shopper.token));
    assert.deepEqual(
      legacy.result.map((order) => order.id),
      [placed[3]?.id, placed[2]?.id],
    );

    const cancelled = await bed.orders.listOrders({ status: "cancelled" }, auth(shopper.token));
    assert.deepEqual(
      cancelled.result.map((order) => order.id),
      [placed[1]?.id],
    );
    const sellers = await bed.orders.listOrders({ pageSize: 100 }, auth(seller.token));
    assert.ok(sellers.result.some((order) => order.id === placed[0]?.id));
    const strangers = await bed.orders.listOrders({}, auth(otherSeller.token));
    assert.ok(!strangers.result.some((order) => order.id === placed[0]?.id));

    await expectRpcError(
      bed.orders.listOrders({ status: "lost" }, auth(shopper.token)),
      Code.InvalidArgument,
      "status",
    );
    await expectRpcError(
      bed.orders.listOrders({ pageToken: "garbage" }, auth(shopper.token)),
      Code.InvalidArgument,
      "pageToken",
    );
    await expectRpcError(
      bed.orders.listOrders(
        { pageToken: `v1.${Buffer.from('[1,"x"]').toString("base64url")}` },
        auth(shopper.token),
      ),
      Code.InvalidArgument,
      "pageToken",
    );
  });
});

describe("the saga when the product service is down", () => {
  test("an unconfirmed order stays hidden, then the recovery loop settles it; a release is finished later", async () => {
    const lamp = await newProduct(5);
    const held = await place([{ productId: lamp, quantity: 1 }]);
    const shopper = await registerUser(bed, "buyer");
    const downKey = { "idempotency-key": `key-${Date.now()}-down` };
    await bed.stopProducts();
    try {
      await expectRpcError(place([{ productId: lamp, quantity: 2 }], shopper, downKey), Code.Unavailable);
      assert.equal((await bed.orders.listOrders({}, auth(shopper.token))).result.length, 0);
      // The cancel is committed; the release waits for the product service.
      assert.equal(
        (await bed.orders.cancelOrder({ orderId: held.id }, auth(buyer.token))).status,
        "cancelled",
      );
    } finally {
      await bed.startProducts();
    }
    // The unanswered order was written before its reservation: the recovery
    // loop reserves it, and the cancelled order's unit goes back.
    await eventually(async () => (await bed.orders.listOrders({}, auth(shopper.token))).result.length === 1);
    await eventually(async () => (await stockOf(lamp)) === 3);
    const [settled] = (await bed.orders.listOrders({}, auth(shopper.token))).result;
    // Built from what the reservation took: the lamp's seller, name and price.
    assert.equal(settled?.seller?.id, seller.id);
    assert.equal(settled?.sourceAddress, seller.address);
    assert.deepEqual(
      settled?.items.map(({ productId, unitPrice, quantity }) => ({ productId, unitPrice, quantity })),
      [{ productId: lamp, unitPrice: 1250n, quantity: 2 }],
    );
    assert.equal(settled?.totalPrice, 2500n);
    // A retry with its key learns that outcome.
    assert.equal((await place([{ productId: lamp, quantity: 2 }], shopper, downKey)).id, settled?.id);

    const key = { "idempotency-key": `key-${Date.now()}-late` };
    const order = await place([{ productId: lamp, quantity: 2 }], shopper, key);
    assert.equal(await stockOf(lamp), 1);
    assert.equal((await place([{ productId: lamp, quantity: 2 }], shopper, key)).id, order.id);
  });
});
