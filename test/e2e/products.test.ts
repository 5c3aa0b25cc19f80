/**
 * The Products rows of API.md, through the gateway, over the real processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { registerUser, startTestSystem, type TestSystem } from "./harness.ts";

let system: TestSystem;
type User = Awaited<ReturnType<typeof registerUser>>;
let seller: User;
let otherSeller: User;
let buyer: User;
const unknownId = "00000000-0000-4000-8000-000000000000";

before(async () => {
  system = await startTestSystem();
  [seller, otherSeller, buyer] = await Promise.all([
    registerUser(system, "seller", { name: "Shop", address: "1 Warehouse Rd" }),
    registerUser(system, "seller"),
    registerUser(system, "buyer"),
  ]);
});

after(async () => {
  await system?.destroy();
});

const create = (body: Record<string, unknown>, owner: User = seller) =>
  system.api("POST", "/v1/products", {
    token: owner.token,
    body: { name: "Lamp", description: "for the desk", price: 1250, stock: 3, ...body },
  });

async function created(body: Record<string, unknown> = {}, owner: User = seller) {
  const response = await create(body, owner);
  assert.equal(response.status, 200, response.text);
  return response.body;
}

/** The error body names the field at fault in its BadRequest detail. */
function assertNamesField(body: { details?: { fieldViolations?: { field: string }[] }[] }, field: string) {
  const fields = (body.details ?? []).flatMap((detail) => detail.fieldViolations ?? []).map((v) => v.field);
  assert.deepEqual(fields, [field], JSON.stringify(body));
}

describe("POST /v1/products", () => {
  test("a seller creates a product: 200 with the product JSON", async () => {
    const response = await create({ name: "Desk lamp", description: "brass", price: 4999, stock: 7 });
    assert.equal(response.status, 200, response.text);
    const product = response.body;
    assert.deepEqual(Object.keys(product).sort(), [
      "createTime",
      "description",
      "id",
      "name",
      "price",
      "seller",
      "stock",
      "updateTime",
    ]);
    assert.match(product.id, /^[0-9a-f-]{36}$/);
    assert.equal(product.name, "Desk lamp");
    assert.equal(product.description, "brass");
    assert.equal(product.price, "4999");
    assert.equal(product.stock, 7);
    assert.deepEqual(product.seller, {
      id: seller.id,
      name: "Shop",
      email: seller.email,
      address: "1 Warehouse Rd",
      type: "seller",
    });
    assert.ok(!Number.isNaN(Date.parse(product.createTime)));
    assert.ok(!Number.isNaN(Date.parse(product.updateTime)));
    assert.ok(response.headers.get("x-request-id"));
  });

  test("a buyer 403; no token 401", async () => {
    const asBuyer = await create({}, buyer);
    assert.equal(asBuyer.status, 403, asBuyer.text);
    assert.equal(asBuyer.body.code, 7);
    const anonymous = await system.api("POST", "/v1/products", {
      body: { name: "Lamp", price: 1, stock: 1 },
    });
    assert.equal(anonymous.status, 401, anonymous.text);
  });

  test("name empty, price <= 0, stock < 0: 400 naming the field", async () => {
    for (const [body, field] of [
      [{ name: "" }, "name"],
      [{ name: "   " }, "name"],
      [{ price: 0 }, "price"],
      [{ price: -1 }, "price"],
      [{ stock: -1 }, "stock"],
      [{ name: "x".repeat(201) }, "name"],
      [{ description: "x".repeat(5001) }, "description"],
    ] as const) {
      const response = await create(body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.code, 3);
      assertNamesField(response.body, field);
    }
  });

  test("snake_case input is accepted too", async () => {
    const response = await system.api("POST", "/v1/products", {
      token: seller.token,
      body: { name: "Rug", description: "", price: "300", stock: 0, unknown_field: true },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.price, "300");
    assert.equal(response.body.stock, 0);
  });
});

describe("GET /v1/products/{id}", () => {
  test("anyone reads a product with its seller", async () => {
    const product = await created();
    const response = await system.api("GET", `/v1/products/${product.id}`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, product);
  });

  test("unknown 404; malformed id 400", async () => {
    const unknown = await system.api("GET", `/v1/products/${unknownId}`);
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.body.code, 5);
    const malformed = await system.api("GET", "/v1/products/not-a-uuid");
    assert.equal(malformed.status, 400, malformed.text);
  });
});

describe("GET /v1/products", () => {
  let shop: User;
  const ids: string[] = [];

  before(async () => {
    shop = await registerUser(system, "seller", { name: "Corner shop" });
    for (const [name, description] of [
      ["Red Kettle", "boils water"],
      ["Blue mug", "holds a KETTLE's worth of tea"],
      ["50% off voucher", "paper"],
      ["Wooden spoon", "stirs"],
    ]) {
      ids.push((await created({ name, description }, shop)).id);
    }
  });

  const list = (query: string, token?: string) => system.api("GET", `/v1/products?${query}`, { token });
  const names = (response: { body: { result: { name: string }[] } }) =>
    response.body.result.map((p) => p.name);

  test("search matches name and description, case-insensitively, newest first", async () => {
    const response = await list(`sellerId=${shop.id}&search=kettle`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(names(response), ["Blue mug", "Red Kettle"]);
    assert.equal(response.body.nextPageToken, "");
    assert.deepEqual(names(await list(`sellerId=${shop.id}&search=${encodeURIComponent("%")}`)), [
      "50% off voucher",
    ]);
  });

  test("sellerId lists that seller's products, newest first, with sellers", async () => {
    const response = await list(`sellerId=${shop.id}`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(
      response.body.result.map((p: { id: string }) => p.id),
      [...ids].reverse(),
    );
    assert.equal(response.body.result[0].seller.name, "Corner shop");
  });

  test("ids returns exactly those products, without paging", async () => {
    const [first, second] = ids;
    const response = await list(`ids=${first}&ids=${second}&ids=${unknownId}&pageSize=1`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body.result.map((p: { id: string }) => p.id).sort(), [first, second].sort());
    assert.equal(response.body.nextPageToken, "");
  });

  test("pages with pageSize and pageToken, no duplicates and no gaps while products are added", async () => {
    const pager = await registerUser(system, "seller");
    const expected: string[] = [];
    for (let i = 0; i < 25; i++) expected.unshift((await created({ name: `item ${i}` }, pager)).id);
    const seen: string[] = [];
    let pageToken = "";
    do {
      const response = await list(
        `sellerId=${pager.id}&pageSize=10&pageToken=${encodeURIComponent(pageToken)}`,
      );
      assert.equal(response.status, 200, response.text);
      seen.push(...response.body.result.map((p: { id: string }) => p.id));
      pageToken = response.body.nextPageToken;
      await created({ name: "added meanwhile" }, pager);
    } while (pageToken !== "");
    assert.deepEqual(seen, expected);
    const legacy = await list(`sellerId=${pager.id}&limit=2&offset=3`);
    assert.equal(legacy.status, 200, legacy.text);
    assert.equal(legacy.body.result.length, 2);
  });

  test("with a seller's token and no sellerId, only the caller's products", async () => {
    const own = await registerUser(system, "seller");
    const mine = await created({ name: "Mine" }, own);
    const response = await list("", own.token);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(
      response.body.result.map((p: { id: string }) => p.id),
      [mine.id],
    );
    const asBuyer = await list("pageSize=100", buyer.token);
    assert.equal(asBuyer.status, 200, asBuyer.text);
    assert.ok(asBuyer.body.result.length > 1);
  });

  test("bad paging or filters 400; a bad token 401", async () => {
    assert.equal((await list("pageToken=garbage")).status, 400);
    assert.equal((await list("sellerId=nope")).status, 400);
    assert.equal((await list("pageSize=-1")).status, 400);
    assert.equal((await list("", "not.a.token")).status, 401);
  });
});

describe("PATCH /v1/products/{id}", () => {
  test("changes only the fields present", async () => {
    const product = await created({ price: 1000, stock: 4 });
    const response = await system.api("PATCH", `/v1/products/${product.id}`, {
      token: seller.token,
      body: { price: 1500 },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.price, "1500");
    assert.equal(response.body.stock, 4);
    assert.equal(response.body.name, product.name);
    assert.equal((await system.api("GET", `/v1/products/${product.id}`)).body.price, "1500");
  });

  test("with an update mask, exactly the named fields", async () => {
    const product = await created({ price: 1000, stock: 4 });
    const response = await system.api("PATCH", `/v1/products/${product.id}`, {
      token: seller.token,
      body: { name: "Renamed", price: 1, stock: 0, updateMask: "name,stock" },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.name, "Renamed");
    assert.equal(response.body.stock, 0);
    assert.equal(response.body.price, "1000");
    const unknownPath = await system.api("PATCH", `/v1/products/${product.id}`, {
      token: seller.token,
      body: { updateMask: "sellerId" },
    });
    assert.equal(unknownPath.status, 400, unknownPath.text);
  });

  test("an update mask in the query string is refused, and nothing is written", async () => {
    const product = await created({ price: 1000, stock: 4 });
    for (const mask of ["updateMask=stock", "update_mask=stock"]) {
      const response = await system.api("PATCH", `/v1/products/${product.id}?${mask}`, {
        token: seller.token,
        body: { name: "Not this", stock: 3 },
      });
      assert.equal(response.status, 400, response.text);
      assert.equal(
        response.body.message,
        'field "updateMask" goes in the request body on this route, not in the query string',
      );
    }
    const unchanged = await system.api("GET", `/v1/products/${product.id}`);
    assert.equal(unchanged.body.name, product.name);
    assert.equal(unchanged.body.stock, 4);
  });

  test("bad values 400; another seller 404; a buyer 403; no token 401", async () => {
    const product = await created();
    const patch = (body: unknown, token?: string) =>
      system.api("PATCH", `/v1/products/${product.id}`, { token, body });
    assert.equal((await patch({ price: 0 }, seller.token)).status, 400);
    assert.equal((await patch({ stock: -2 }, seller.token)).status, 400);
    assert.equal((await patch({ name: "" }, seller.token)).status, 400);
    assert.equal((await patch({ price: 5 }, otherSeller.token)).status, 404);
    assert.equal((await patch({ price: 5 }, buyer.token)).status, 403);
    assert.equal((await patch({ price: 5 })).status, 401);
    assert.equal((await system.api("GET", `/v1/products/${product.id}`)).body.price, product.price);
  });
});

describe("DELETE /v1/products/{id}", () => {
  test("the owning seller deletes; then GET 404 and a second DELETE 404", async () => {
    const product = await created();
    assert.equal(
      (await system.api("DELETE", `/v1/products/${product.id}`, { token: otherSeller.token })).status,
      404,
    );
    assert.equal(
      (await system.api("DELETE", `/v1/products/${product.id}`, { token: buyer.token })).status,
      403,
    );
    assert.equal((await system.api("DELETE", `/v1/products/${product.id}`)).status, 401);
    const deleted = await system.api("DELETE", `/v1/products/${product.id}`, { token: seller.token });
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.body, {});
    assert.equal((await system.api("GET", `/v1/products/${product.id}`)).status, 404);
    assert.equal(
      (await system.api("DELETE", `/v1/products/${product.id}`, { token: seller.token })).status,
      404,
    );
    const listed = await system.api("GET", `/v1/products?ids=${product.id}`);
    assert.deepEqual(listed.body.result, []);
  });
});
