import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { expectRpcError } from "@skyros/kit/testing";
import { as, type ProductTestSystem, startProductTestSystem, type TestUser } from "./fixture.ts";

let system: ProductTestSystem;
let seller: TestUser;

before(async () => {
  // Without the profile cache, so that every read needs the user service.
  system = await startProductTestSystem("product_outage", { PRODUCT_PROFILE_CACHE_TTL_MS: "0" });
  seller = await system.register("seller");
});

after(async () => {
  await system?.close();
});

test("with the profile cache, a seller seen recently is still shown during a user service outage", async () => {
  const cached = await startProductTestSystem("product_outage_cached");
  try {
    const cachedSeller = await cached.register("seller");
    const product = await cached.products.createProduct(
      { name: "Kettle", description: "", price: 100n, stock: 1 },
      as(cachedSeller),
    );
    assert.equal(product.seller?.name, cachedSeller.name);
    await cached.stopUserService();
    const read = await cached.products.getProduct({ id: product.id });
    assert.equal(read.seller?.id, cachedSeller.id);
    assert.equal(read.seller?.name, product.seller?.name);
  } finally {
    await cached.close();
  }
});

test("without the user service, reads are Unavailable and a write still reports what it did", async () => {
  const product = await system.products.createProduct(
    { name: "Lamp", description: "", price: 100n, stock: 1 },
    as(seller),
  );
  await system.stopUserService();
  const error = await expectRpcError(system.products.getProduct({ id: product.id }), Code.Unavailable);
  assert.doesNotMatch(error.rawMessage, /127\.0\.0\.1|ECONNREFUSED|:\d{2,5}\b/);
  await expectRpcError(system.products.listProducts({ sellerId: seller.id }), Code.Unavailable);
  // The access token's key was fetched before the outage, so the seller is still recognised.
  const updated = await system.products.updateProduct({ id: product.id, stock: 5 }, as(seller));
  assert.equal(updated.stock, 5);
  assert.equal(updated.seller?.id, seller.id);
  assert.equal(updated.seller?.name, "");
});
