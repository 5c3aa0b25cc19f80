import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { Product } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { expectRpcError } from "@skyros/kit/testing";
import { as, internal, type ProductTestSystem, startProductTestSystem, type TestUser } from "./fixture.ts";

let system: ProductTestSystem;
let seller: TestUser;
let otherSeller: TestUser;
let buyer: TestUser;
const unknownId = "00000000-0000-4000-8000-000000000000";

before(async () => {
  system = await startProductTestSystem("product_rpcs");
  [seller, otherSeller, buyer] = await Promise.all([
    system.register("seller"),
    system.register("seller"),
    system.register("buyer"),
  ]);
});

after(async () => {
  await system?.close();
});

const newProduct = (
  user: TestUser,
  fields: Partial<{ name: string; description: string; price: bigint; stock: number }> = {},
) =>
  system.products.createProduct(
    { name: "Lamp", description: "A desk lamp", price: 1999n, stock: 5, ...fields },
    as(user),
  );

describe("CreateProduct", () => {
  test("a seller creates a product and gets it back with its seller's profile", async () => {
    const product = await newProduct(seller, { name: "  Teapot ", description: "Cast iron" });
    assert.match(product.id, /^[0-9a-f-]{36}$/);
    assert.equal(product.name, "Teapot");
    assert.equal(product.description, "Cast iron");
    assert.equal(product.price, 1999n);
    assert.equal(product.stock, 5);
    assert.equal(product.seller?.id, seller.id);
    assert.equal(product.seller?.name, seller.name);
    assert.equal(product.seller?.email, seller.email);
    assert.equal(product.seller?.address, "1 Main St");
    assert.equal(product.seller?.type, "seller");
    assert.ok(product.createTime !== undefined && product.updateTime !== undefined);
  });

  test("a buyer is PermissionDenied; no token is Unauthenticated", async () => {
    await expectRpcError(newProduct(buyer), Code.PermissionDenied);
    await expectRpcError(
      system.products.createProduct({ name: "x", description: "", price: 1n, stock: 0 }),
      Code.Unauthenticated,
    );
    await expectRpcError(newProduct({ ...seller, token: "not.a.token" }), Code.Unauthenticated);
  });

  test("bad fields are InvalidArgument naming the field", async () => {
    await expectRpcError(newProduct(seller, { name: "" }), Code.InvalidArgument, "name");
    await expectRpcError(newProduct(seller, { name: "   " }), Code.InvalidArgument, "name");
    await expectRpcError(newProduct(seller, { price: 0n }), Code.InvalidArgument, "price");
    await expectRpcError(newProduct(seller, { price: -5n }), Code.InvalidArgument, "price");
    await expectRpcError(newProduct(seller, { stock: -1 }), Code.InvalidArgument, "stock");
    await expectRpcError(newProduct(seller, { name: "x".repeat(201) }), Code.InvalidArgument, "name");
    await expectRpcError(
      newProduct(seller, { description: "é".repeat(2501) }),
      Code.InvalidArgument,
      "description",
    );
    await expectRpcError(newProduct(seller, { name: "nul\u0000byte" }), Code.InvalidArgument, "name");
  });

  test("a zero stock and an empty description are fine", async () => {
    const product = await newProduct(seller, { stock: 0, description: "" });
    assert.equal(product.stock, 0);
    assert.equal(product.description, "");
  });
});

describe("GetProduct", () => {
  test("anyone reads a product with its seller", async () => {
    const created = await newProduct(seller);
    const read = await system.products.getProduct({ id: created.id });
    assert.equal(read.id, created.id);
    assert.equal(read.seller?.name, seller.name);
    assert.deepEqual(read.createTime, created.createTime);
  });

  test("unknown, deleted and malformed ids", async () => {
    await expectRpcError(system.products.getProduct({ id: unknownId }), Code.NotFound);
    await expectRpcError(system.products.getProduct({ id: "nope" }), Code.InvalidArgument, "id");
    await expectRpcError(system.products.getProduct({ id: "" }), Code.InvalidArgument, "id");
    const created = await newProduct(seller);
    await system.products.deleteProduct({ id: created.id }, as(seller));
    await expectRpcError(system.products.getProduct({ id: created.id }), Code.NotFound);
  });
});

describe("ListProducts", () => {
  let searchSeller: TestUser;
  const made: Product[] = [];

  before(async () => {
    searchSeller = await system.register("seller");
    for (const [name, description] of [
      ["Red Kettle", "boils water"],
      ["Blue mug", "holds a KETTLE's worth"],
      ["100% cotton shirt", "soft"],
      ["snake_case book", "about names"],
      ["Back\\slash poster", "a path"],
      ["Plain chair", "wooden"],
    ] as const) {
      made.push(await newProduct(searchSeller, { name, description }));
    }
  });

  const search = (text: string, sellerId = searchSeller.id) =>
    system.products.listProducts({ search: text, sellerId }).then((page) => page.result.map((p) => p.name));

  test("search matches name or description, case-insensitively, newest first", async () => {
    assert.deepEqual(await search("kettle"), ["Blue mug", "Red Kettle"]);
    assert.deepEqual(await search("WOODEN"), ["Plain chair"]);
    assert.deepEqual(await search("nothing like it"), []);
  });

  test("search takes LIKE wildcards literally", async () => {
    assert.deepEqual(await search("%"), ["100% cotton shirt"]);
    assert.deepEqual(await search("_"), ["snake_case book"]);
    assert.deepEqual(await search("\\"), ["Back\\slash poster"]);
    assert.deepEqual(await search("e_c"), ["snake_case book"]);
  });

  test("sellerId lists one seller's products, with their profiles", async () => {
    const page = await system.products.listProducts({ sellerId: searchSeller.id });
    assert.deepEqual(
      page.result.map((p) => p.id),
      made.map((p) => p.id).reverse(),
    );
    assert.ok(page.result.every((p) => p.seller?.name === searchSeller.name));
    assert.equal(page.nextPageToken, "");
  });

  test("ids returns exactly those live products, without paging", async () => {
    const [a, b, c] = made;
    await system.products.deleteProduct({ id: (c as Product).id }, as(searchSeller));
    const page = await system.products.listProducts({
      ids: [(a as Product).id, (b as Product).id, (c as Product).id, unknownId],
      pageSize: 1,
    });
    assert.deepEqual(page.result.map((p) => p.id).sort(), [(a as Product).id, (b as Product).id].sort());
    assert.equal(page.nextPageToken, "");
    await expectRpcError(
      system.products.listProducts({ ids: Array.from({ length: 101 }, () => unknownId) }),
      Code.InvalidArgument,
      "ids",
    );
    await expectRpcError(system.products.listProducts({ ids: ["bad"] }), Code.InvalidArgument, "ids");
  });

  test("a seller's token without sellerId lists only the caller's products", async () => {
    const own = await system.register("seller");
    const mine = await newProduct(own, { name: "Mine" });
    const page = await system.products.listProducts({}, as(own));
    assert.deepEqual(
      page.result.map((p) => p.id),
      [mine.id],
    );
    const other = await system.products.listProducts({ sellerId: searchSeller.id }, as(own));
    assert.ok(other.result.length > 0);
    const asBuyer = await system.products.listProducts({ pageSize: 100 }, as(buyer));
    assert.ok(asBuyer.result.some((p) => p.seller?.id === searchSeller.id));
    // ids name exactly the products wanted, whoever sells them.
    const named = await system.products.listProducts({ ids: [mine.id, (made[0] as Product).id] }, as(own));
    assert.deepEqual(named.result.map((p) => p.id).sort(), [mine.id, (made[0] as Product).id].sort());
  });

  test("a presented token must be valid", async () => {
    await expectRpcError(system.products.listProducts({}, as("not.a.token")), Code.Unauthenticated);
    await expectRpcError(
      system.products.listProducts({}, { headers: { authorization: "Basic abc" } }),
      Code.Unauthenticated,
    );
  });

  test("bad filters and paging are InvalidArgument naming the field", async () => {
    await expectRpcError(system.products.listProducts({ sellerId: "x" }), Code.InvalidArgument, "sellerId");
    await expectRpcError(
      system.products.listProducts({ pageToken: "garbage" }),
      Code.InvalidArgument,
      "pageToken",
    );
    const forged = `v1.${Buffer.from(JSON.stringify([0, "not-a-uuid"])).toString("base64url")}`;
    await expectRpcError(
      system.products.listProducts({ pageToken: forged }),
      Code.InvalidArgument,
      "pageToken",
    );
    await expectRpcError(system.products.listProducts({ pageSize: -1 }), Code.InvalidArgument, "pageSize");
    await expectRpcError(system.products.listProducts({ offset: -1 }), Code.InvalidArgument, "offset");
    await expectRpcError(
      system.products.listProducts({ search: "x".repeat(201) }),
      Code.InvalidArgument,
      "search",
    );
    await expectRpcError(system.products.listProducts({ search: "\u0000" }), Code.InvalidArgument, "search");
  });

  test("legacy limit and offset", async () => {
    const all = (await system.products.listProducts({ sellerId: searchSeller.id })).result.map((p) => p.id);
    const window = await system.products.listProducts({ sellerId: searchSeller.id, limit: 2, offset: 1 });
    assert.deepEqual(
      window.result.map((p) => p.id),
      all.slice(1, 3),
    );
  });
});

describe("Paging", () => {
  test("pages through 30 products while more are inserted: no duplicates, no gaps", async () => {
    const pager = await system.register("seller");
    const original: string[] = [];
    for (let i = 0; i < 30; i++) original.unshift((await newProduct(pager, { name: `item ${i}` })).id);
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await system.products.listProducts({ sellerId: pager.id, pageSize: 7, pageToken });
      seen.push(...page.result.map((p) => p.id));
      pageToken = page.nextPageToken;
      pages++;
      // Inserted between pages: newer than every listed row, so they belong before page one.
      await newProduct(pager, { name: `late ${pages}` });
    } while (pageToken !== "");
    assert.equal(pages, 5);
    assert.deepEqual(seen, original);
  });

  test("pageSize defaults to 20 and is capped at 100", async () => {
    const bulk = await system.register("seller");
    await system.sql`
      insert into products (id, seller_id, name, description, price, stock, create_time)
      select gen_random_uuid(), ${bulk.id}, 'bulk ' || n, '', 100, 1, now() - n * interval '1 second'
      from generate_series(1, 120) as n`;
    assert.equal((await system.products.listProducts({ sellerId: bulk.id })).result.length, 20);
    assert.equal(
      (await system.products.listProducts({ sellerId: bulk.id, pageSize: 500 })).result.length,
      100,
    );
  });
});

describe("UpdateProduct", () => {
  test("changes only the fields present", async () => {
    const created = await newProduct(seller);
    const updated = await system.products.updateProduct({ id: created.id, price: 2500n }, as(seller));
    assert.equal(updated.price, 2500n);
    assert.equal(updated.name, created.name);
    assert.equal(updated.description, created.description);
    assert.equal(updated.stock, created.stock);
    assert.equal(updated.seller?.name, seller.name);
    const cleared = await system.products.updateProduct({ id: created.id, description: "" }, as(seller));
    assert.equal(cleared.description, "");
    assert.equal(cleared.price, 2500n);
  });

  test("with an update mask, exactly the named fields change; an unknown path is refused", async () => {
    const created = await newProduct(seller);
    const updated = await system.products.updateProduct(
      { id: created.id, name: "Renamed", stock: 0, price: 7n, updateMask: { paths: ["name", "stock"] } },
      as(seller),
    );
    assert.equal(updated.name, "Renamed");
    assert.equal(updated.stock, 0);
    assert.equal(updated.price, created.price);
    await expectRpcError(
      system.products.updateProduct({ id: created.id, updateMask: { paths: ["seller_id"] } }, as(seller)),
      Code.InvalidArgument,
      "updateMask",
    );
    await expectRpcError(
      system.products.updateProduct({ id: created.id, updateMask: { paths: ["name"] } }, as(seller)),
      Code.InvalidArgument,
      "name",
    );
  });

  test("bad values are InvalidArgument naming the field", async () => {
    const created = await newProduct(seller);
    await expectRpcError(
      system.products.updateProduct({ id: created.id, price: 0n }, as(seller)),
      Code.InvalidArgument,
      "price",
    );
    await expectRpcError(
      system.products.updateProduct({ id: created.id, stock: -3 }, as(seller)),
      Code.InvalidArgument,
      "stock",
    );
    await expectRpcError(
      system.products.updateProduct({ id: created.id, name: " " }, as(seller)),
      Code.InvalidArgument,
      "name",
    );
    await expectRpcError(
      system.products.updateProduct({ id: "nope", name: "x" }, as(seller)),
      Code.InvalidArgument,
      "id",
    );
  });

  test("only the owning seller: another seller NotFound, a buyer PermissionDenied", async () => {
    const created = await newProduct(seller);
    await expectRpcError(
      system.products.updateProduct({ id: created.id, price: 1n }, as(otherSeller)),
      Code.NotFound,
    );
    await expectRpcError(system.products.updateProduct({ id: created.id }, as(otherSeller)), Code.NotFound);
    await expectRpcError(
      system.products.updateProduct({ id: created.id, price: 1n }, as(buyer)),
      Code.PermissionDenied,
    );
    await expectRpcError(system.products.updateProduct({ id: created.id, price: 1n }), Code.Unauthenticated);
    assert.equal((await system.products.getProduct({ id: created.id })).price, created.price);
  });

  test("updateTime moves forward; createTime stays", async () => {
    const created = await newProduct(seller);
    await new Promise((done) => setTimeout(done, 5));
    const updated = await system.products.updateProduct({ id: created.id, stock: 9 }, as(seller));
    assert.deepEqual(updated.createTime, created.createTime);
    const time = (product: Product) => timestampDate(product.updateTime as Timestamp).getTime();
    assert.ok(time(updated) > time(created));
  });
});

describe("DeleteProduct", () => {
  test("the owning seller soft-deletes; a repeat is NotFound; others cannot", async () => {
    const created = await newProduct(seller);
    await expectRpcError(system.products.deleteProduct({ id: created.id }, as(otherSeller)), Code.NotFound);
    await expectRpcError(system.products.deleteProduct({ id: created.id }, as(buyer)), Code.PermissionDenied);
    await expectRpcError(system.products.deleteProduct({ id: created.id }), Code.Unauthenticated);
    await system.products.deleteProduct({ id: created.id }, as(seller));
    await expectRpcError(system.products.deleteProduct({ id: created.id }, as(seller)), Code.NotFound);
    await expectRpcError(
      system.products.updateProduct({ id: created.id, price: 5n }, as(seller)),
      Code.NotFound,
    );
    const [row] = await system.sql`select delete_time from products where id = ${created.id}`;
    assert.ok(row?.delete_time instanceof Date);
  });
});

describe("GetProducts (internal)", () => {
  test("requires the service credential", async () => {
    await expectRpcError(system.products.getProducts({ ids: [] }), Code.Unauthenticated);
    await expectRpcError(
      system.products.reserveStock({ orderId: unknownId, items: [] }),
      Code.Unauthenticated,
    );
    await expectRpcError(system.products.releaseStock({ orderId: unknownId }), Code.Unauthenticated);
  });

  test("returns the live products asked for, sellers by id only", async () => {
    const a = await newProduct(seller);
    const b = await newProduct(otherSeller);
    const gone = await newProduct(seller);
    await system.products.deleteProduct({ id: gone.id }, as(seller));
    const { products } = await system.products.getProducts(
      { ids: [a.id, b.id, gone.id, unknownId] },
      internal,
    );
    assert.deepEqual(products.map((p) => p.id).sort(), [a.id, b.id].sort());
    const found = products.find((p) => p.id === a.id);
    assert.equal(found?.seller?.id, seller.id);
    assert.equal(found?.seller?.name, "");
    assert.equal(found?.price, a.price);
    await expectRpcError(
      system.products.getProducts({ ids: ["bad"] }, internal),
      Code.InvalidArgument,
      "ids",
    );
  });
});
