/** GetProduct: anyone reads a live product, with its seller. */
import type { GetProductRequest, Product } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { notFound } from "@skyros/kit/errors";
import { requireId } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";
import { withSellers } from "./product-message.ts";

export async function getProduct(ctx: ProductContext, request: GetProductRequest): Promise<Product> {
  const id = requireId(request.id, "id");
  const record = await ctx.store.findProduct(id);
  if (record === undefined) throw notFound(`product ${id} not found`);
  const [product] = await withSellers(ctx.users, ctx.logger, [record]);
  return product as Product;
}
