/**
 * The Orders rows of API.md, through the gateway, over the real processes.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { registerUser, startTestSystem, type TestSystem } from "./harness.ts";

let system: TestSystem;
type User = Awaited<ReturnType<typeof registerUser>>;
let seller: User;
let otherSeller: User;
let buyer: User;
let otherBuyer: User;

before(async () => {
  system = await startTestSystem();
  [seller, otherSeller, buyer, otherBuyer] = await Promise.all([
    registerUser(system, "seller", { name: "Shop", address: "1 Warehouse Rd" }),
    registerUser(system, "seller"),
    registerUser(system, "buyer", { name: "Ada", address: "2 Home St" }),
    registerUser(system, "buyer"),
  ]);
});

after(async () => {
  await system?.destroy();
});

async function newProduct(stock: number, price = 1250, owner = seller, name = "Lamp"): Promise<string> {
  const created = await system.api("POST", "/v1/products", {
    token: owner.token,
    body: { name, description: "for the desk", price, stock },
  });
  assert.equal(created.status, 200, created.text);
  return created.body.id;
}

async function stockOf(id: string): Promise<number> {
  const product = await system.api("GET", `/v1/products/${id}`);
  assert.equal(product.status, 200, product.text);
  return product.body.stock;
}

const place = (items: unknown[], who = buyer, headers: Record<string, string> = {}) =>
  system.api("POST", "/v1/orders", {
    token: who.token,
    headers,
    body: { description: "a gift", destinationAddress: "9 Elm St", items },
  });

async function placed(items: unknown[], who = buyer): Promise<string> {
  const response = await place(items, who);
  assert.equal(response.status, 200, response.text);
  return response.body.id;
}

const act = (id: string, action: string, who: User) =>
  system.api("POST", `/v1/orders/${id}:${action}`, { token: who.token, body: {} });

describe("POST /v1/orders", () => {
  test("a buyer's order is pending, with the documented JSON", async () => {
    const lamp = await newProduct(10, 1250);
    const desk = await newProduct(5, 40000, seller, "Desk");
    const response = await place([
      { productId: lamp, quantity: 2 },
      { product_id: desk, quantity: 1 },
    ]);
    assert.equal(response.status, 200, response.text);
    const order = response.body;
    assert.deepEqual(Object.keys(order).sort(), [
      "buyer",
      "createTime",
      "description",
      "destinationAddress",
      "id",
      "items",
      "seller",
      "sourceAddress",
      "status",
      "totalPrice",
      "updateTime",
    ]);
    assert.equal(order.status, "pending");
    assert.equal(order.totalPrice, "42500");
    assert.equal(order.sourceAddress, "1 Warehouse Rd");
    assert.equal(order.destinationAddress, "9 Elm St");
    assert.deepEqual(order.buyer, {
      id: buyer.id,
      email: buyer.email,
      name: "Ada",
      address: "2 Home St",
      type: "buyer",
    });
    assert.equal(order.seller.id, seller.id);
    assert.equal(order.seller.name, "Shop");
    assert.deepEqual(order.items, [
      { productId: lamp, name: "Lamp", unitPrice: "1250", quantity: 2 },
      { productId: desk, name: "Desk", unitPrice: "40000", quantity: 1 },
    ]);
    assert.equal(await stockOf(lamp), 8);
    assert.equal(await stockOf(desk), 4);

    // Snapshots: later product edits do not change the order.
    const patched = await system.api("PATCH", `/v1/products/${lamp}`, {
      token: seller.token,
      body: { name: "Brass lamp", price: 9999 },
    });
    assert.equal(patched.status, 200, patched.text);
    const again = await system.api("GET", `/v1/orders/${order.id}`, { token: buyer.token });
    assert.deepEqual(again.body.items, order.items);
    assert.equal(again.body.totalPrice, "42500");
  });

  test("a seller 403, no token 401", async () => {
    const lamp = await newProduct(5);
    assert.equal((await place([{ productId: lamp, quantity: 1 }], seller)).status, 403);
    const anonymous = await system.api("POST", "/v1/orders", {
      body: { destinationAddress: "x", items: [{ productId: lamp, quantity: 1 }] },
    });
    assert.equal(anonymous.status, 401);
  });

  test("empty items, quantity <= 0, unknown product, two sellers: 400/404 and nothing reserved", async () => {
    const lamp = await newProduct(5);
    const theirs = await newProduct(5, 100, otherSeller);
    assert.equal((await place([])).status, 400);
    assert.equal((await place([{ productId: lamp, quantity: 0 }])).status, 400);
    assert.equal((await place([{ productId: lamp, quantity: -1 }])).status, 400);
    assert.equal((await place([{ productId: "not-a-uuid", quantity: 1 }])).status, 400);
    const unknown = await place([{ productId: randomUUID(), quantity: 1 }]);
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.body.code, 5);
    const mixed = await place([
      { productId: lamp, quantity: 1 },
      { productId: theirs, quantity: 1 },
    ]);
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body.code, 3);
    assert.equal(await stockOf(lamp), 5);
    assert.equal(await stockOf(theirs), 5);
  });

  test("not enough stock: 400 (FailedPrecondition), nothing reserved, no order", async () => {
    const lamp = await newProduct(3);
    const desk = await newProduct(1);
    const response = await place(
      [
        { productId: lamp, quantity: 2 },
        { productId: desk, quantity: 2 },
      ],
      otherBuyer,
    );
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.code, 9);
    assert.equal(await stockOf(lamp), 3);
    assert.equal(await stockOf(desk), 1);
    const list = await system.api("GET", "/v1/orders?pageSize=100", { token: otherBuyer.token });
    assert.ok(
      !list.body.result?.some((order: { items: { productId: string }[] }) =>
        order.items.some((item) => item.productId === desk),
      ),
    );
  });
});

describe("GET /v1/orders/{orderId} and GET /v1/orders", () => {
  test("only the buyer or the seller of the order; anyone else 404", async () => {
    const lamp = await newProduct(5);
    const id = await placed([{ productId: lamp, quantity: 1 }]);
    assert.equal((await system.api("GET", `/v1/orders/${id}`, { token: buyer.token })).status, 200);
    assert.equal((await system.api("GET", `/v1/orders/${id}`, { token: seller.token })).status, 200);
    assert.equal((await system.api("GET", `/v1/orders/${id}`, { token: otherBuyer.token })).status, 404);
    assert.equal((await system.api("GET", `/v1/orders/${id}`, { token: otherSeller.token })).status, 404);
    assert.equal((await system.api("GET", `/v1/orders/${id}`)).status, 401);
    assert.equal((await system.api("GET", `/v1/orders/${randomUUID()}`, { token: buyer.token })).status, 404);
  });

  test("the caller's orders, newest first, status filter, keyset pages and limit/offset", async () => {
    const shopper = await registerUser(system, "buyer");
    const lamp = await newProduct(10);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await placed([{ productId: lamp, quantity: 1 }], shopper));
    assert.equal((await act(ids[1] as string, "cancel", shopper)).status, 200);
    const newestFirst = [...ids].reverse();

    const all = await system.api("GET", "/v1/orders", { token: shopper.token });
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.result.map((order: { id: string }) => order.id),
      newestFirst,
    );

    const seen: string[] = [];
    let token = "";
    do {
      const page = await system.api(
        "GET",
        `/v1/orders?pageSize=2${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`,
        { token: shopper.token },
      );
      assert.equal(page.status, 200, page.text);
      seen.push(...page.body.result.map((order: { id: string }) => order.id));
      token = page.body.nextPageToken ?? "";
    } while (token !== "");
    assert.deepEqual(seen, newestFirst);

    const legacy = await system.api("GET", "/v1/orders?limit=2&offset=1", { token: shopper.token });
    assert.deepEqual(
      legacy.body.result.map((order: { id: string }) => order.id),
      newestFirst.slice(1, 3),
    );
    const cancelled = await system.api("GET", "/v1/orders?status=cancelled", { token: shopper.token });
    assert.deepEqual(
      cancelled.body.result.map((order: { id: string }) => order.id),
      [ids[1]],
    );
    const asSeller = await system.api("GET", "/v1/orders?pageSize=100", { token: seller.token });
    assert.ok(asSeller.body.result.some((order: { id: string }) => order.id === ids[0]));
    const stranger = await system.api("GET", "/v1/orders?pageSize=100", { token: otherSeller.token });
    assert.ok(!(stranger.body.result ?? []).some((order: { id: string }) => order.id === ids[0]));

    assert.equal((await system.api("GET", "/v1/orders?status=lost", { token: shopper.token })).status, 400);
    assert.equal(
      (await system.api("GET", "/v1/orders?pageToken=junk", { token: shopper.token })).status,
      400,
    );
    assert.equal((await system.api("GET", "/v1/orders")).status, 401);
  });
});

describe("lifecycle routes", () => {
  test("accept, ship (seller), deliver (buyer)", async () => {
    const lamp = await newProduct(5);
    const id = await placed([{ productId: lamp, quantity: 1 }]);
    const accepted = await act(id, "accept", seller);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.status, "accepted");
    assert.equal((await act(id, "ship", seller)).body.status, "shipped");
    assert.equal((await act(id, "deliver", buyer)).body.status, "delivered");
    assert.equal(await stockOf(lamp), 4);
  });

  test("reject (seller) and cancel (buyer) return the stock", async () => {
    const lamp = await newProduct(5);
    const first = await placed([{ productId: lamp, quantity: 2 }]);
    const second = await placed([{ productId: lamp, quantity: 3 }]);
    assert.equal(await stockOf(lamp), 0);
    const rejected = await act(first, "reject", seller);
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.body.status, "rejected");
    assert.equal(await stockOf(lamp), 2);
    const cancelled = await act(second, "cancel", buyer);
    assert.equal(cancelled.body.status, "cancelled");
    assert.equal(await stockOf(lamp), 5);
    // Exactly once: repeating is a 400 and gives nothing back again.
    assert.equal((await act(second, "cancel", buyer)).status, 400);
    assert.equal((await act(first, "reject", seller)).status, 400);
    assert.equal(await stockOf(lamp), 5);
  });

  test("any other transition is 400 naming the current status", async () => {
    const lamp = await newProduct(5);
    const id = await placed([{ productId: lamp, quantity: 1 }]);
    const ship = await act(id, "ship", seller);
    assert.equal(ship.status, 400);
    assert.equal(ship.body.code, 9);
    assert.match(ship.body.message, /pending/);
    assert.equal((await act(id, "deliver", buyer)).status, 400);
    await act(id, "accept", seller);
    const cancel = await act(id, "cancel", buyer);
    assert.equal(cancel.status, 400);
    assert.match(cancel.body.message, /accepted/);
    assert.equal((await act(id, "reject", seller)).status, 400);
    assert.equal((await act(id, "accept", seller)).status, 400);
  });

  test("the wrong party: a stranger 404, the other party 403", async () => {
    const lamp = await newProduct(5);
    const id = await placed([{ productId: lamp, quantity: 1 }]);
    assert.equal((await act(id, "accept", otherSeller)).status, 404);
    assert.equal((await act(id, "reject", otherSeller)).status, 404);
    assert.equal((await act(id, "cancel", otherBuyer)).status, 404);
    assert.equal((await act(id, "accept", buyer)).status, 403);
    assert.equal((await act(id, "cancel", seller)).status, 403);
    assert.equal((await act(id, "accept", seller)).status, 200);
  });
});

describe("Idempotency-Key", () => {
  test("same key and body: the first response; another body: 422", async () => {
    const lamp = await newProduct(10);
    const key = { "Idempotency-Key": randomUUID() };
    const first = await place([{ productId: lamp, quantity: 2 }], buyer, key);
    assert.equal(first.status, 200, first.text);
    const second = await place([{ productId: lamp, quantity: 2 }], buyer, key);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(await stockOf(lamp), 8);
    const other = await place([{ productId: lamp, quantity: 3 }], buyer, key);
    assert.equal(other.status, 422, other.text);
    assert.equal(await stockOf(lamp), 8);
  });

  test("concurrent requests with one key create one order", async () => {
    const lamp = await newProduct(50);
    const key = { "Idempotency-Key": randomUUID() };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => place([{ productId: lamp, quantity: 1 }], buyer, key)),
    );
    const ids = new Set<string>();
    for (const response of responses) {
      if (response.status === 200) ids.add(response.body.id);
      // 409 while the first runs; 503/504 only if the machine is too busy to confirm in time.
      else assert.ok([409, 503, 504].includes(response.status), response.text);
      if (response.status === 409) assert.equal(response.headers.get("retry-after"), "2");
    }
    for (;;) {
      const repeat = await place([{ productId: lamp, quantity: 1 }], buyer, key);
      if (repeat.status === 200) {
        ids.add(repeat.body.id);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(ids.size, 1);
    assert.equal(await stockOf(lamp), 49);
  });
});

describe("stock under concurrency", () => {
  test("40 buyers race for 10 units: exactly 10 orders, then cancelling returns them all", async () => {
    const lamp = await newProduct(10);
    const buyers = await Promise.all(Array.from({ length: 40 }, () => registerUser(system, "buyer")));
    // Each buyer retries an unanswered request (503, 504, or 409 while it runs) with its key.
    const order = async (who: User) => {
      const key = { "Idempotency-Key": randomUUID() };
      for (;;) {
        const response = await place([{ productId: lamp, quantity: 1 }], who, key);
        if (![409, 503, 504].includes(response.status)) return response;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const responses = await Promise.all(buyers.map(order));
    const won = responses.flatMap((response, index) =>
      response.status === 200 ? [{ id: response.body.id as string, who: buyers[index] as User }] : [],
    );
    assert.equal(won.length, 10, responses.map((response) => response.status).join(" "));
    for (const response of responses) {
      if (response.status !== 200) assert.equal(response.status, 400, response.text);
    }
    assert.equal(await stockOf(lamp), 0);
    const cancels = await Promise.all(won.map(({ id, who }) => act(id, "cancel", who)));
    for (const cancel of cancels) assert.equal(cancel.status, 200, cancel.text);
    assert.equal(await stockOf(lamp), 10);
  });
});
