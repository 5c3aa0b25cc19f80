import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { expectRpcError } from "@skyros/kit/testing";
import { as, type ProductTestSystem, startProductTestSystem, type TestUser } from "./fixture.ts";

let system: ProductTestSystem;
let seller: TestUser;

before(async () => {
  system = await startProductTestSystem("product_outage");
  seller = await system.register("seller");
});

after(async () => {
  await system?.close();
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
