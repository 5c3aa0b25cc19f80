/** CreateProduct: a seller adds a product to their catalog. */
import { randomUUID } from "node:crypto";
import type { HandlerContext } from "@connectrpc/connect";
import type { CreateProductRequest, Product } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import type { ProductContext } from "./context.ts";
import { requireProductFields } from "./product-input.ts";
import { withSellers } from "./product-message.ts";

export async function createProduct(
  ctx: ProductContext,
  request: CreateProductRequest,
  call: HandlerContext,
): Promise<Product> {
  const seller = await authenticateAs(ctx.users.verifier, call.requestHeader, "seller");
  const fields = requireProductFields(request);
  const record = await ctx.store.insertProduct({ id: randomUUID(), sellerId: seller.userId, ...fields });
  const [product] = await withSellers(ctx.users, ctx.logger, [record], true);
  return product as Product;
}
