/** UpdateProduct: the owning seller changes some fields of a product. */
import type { HandlerContext } from "@connectrpc/connect";
import type { Product, UpdateProductRequest } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import { notFound } from "@skyros/kit/errors";
import { requireId } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";
import { withSellers } from "./product-message.ts";
import { isEmptyChange, resolveProductChanges } from "./product-update.ts";

export async function updateProduct(
  ctx: ProductContext,
  request: UpdateProductRequest,
  call: HandlerContext,
): Promise<Product> {
  const seller = await authenticateAs(ctx.users.verifier, call.requestHeader, "seller");
  const id = requireId(request.id, "id");
  const changes = resolveProductChanges({
    name: request.name,
    description: request.description,
    price: request.price,
    stock: request.stock,
    maskPaths: request.updateMask?.paths,
  });
  // Another seller's product is NotFound, as if it did not exist: its owner is nobody else's business.
  const record = isEmptyChange(changes)
    ? await ctx.store.findProduct(id).then((found) => (found?.sellerId === seller.userId ? found : undefined))
    : await ctx.store.updateProduct(id, seller.userId, changes);
  if (record === undefined) throw notFound(`product ${id} not found`);
  const [product] = await withSellers(ctx.users, ctx.logger, [record], true);
  return product as Product;
}
