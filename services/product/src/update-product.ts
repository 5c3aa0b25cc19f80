/** UpdateProduct: the owning seller changes some fields of a product. */
import type { HandlerContext } from "@connectrpc/connect";
import type { Product, UpdateProductRequest } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import { invalidArgument, notFound } from "@skyros/kit/errors";
import { requireId } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";
import { MAX_STOCK } from "./product-input.ts";
import { withSellers } from "./product-message.ts";
import { isEmptyChange, resolveProductChanges } from "./product-update.ts";
import type { ProductRecord, ProductUpdate } from "./store.ts";

function updatedRecord(update: ProductUpdate): ProductRecord | undefined {
  if (update.outcome === "stock-over-limit") {
    throw invalidArgument(
      "stock",
      `must be at most ${MAX_STOCK - update.held}, because orders hold ${update.held} units of this ` +
        `product that return to it if they are cancelled (${MAX_STOCK} units at most in all)`,
    );
  }
  return update.outcome === "updated" ? update.record : undefined;
}

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
    : updatedRecord(await ctx.store.updateProduct(id, seller.userId, changes, MAX_STOCK));
  if (record === undefined) throw notFound(`product ${id} not found`);
  const [product] = await withSellers(ctx.users, ctx.logger, [record], true);
  return product as Product;
}
