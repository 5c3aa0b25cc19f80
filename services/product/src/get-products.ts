/**
 * GetProducts (internal): live products by id in one query, for other
 * services (the order service builds orders from its reservations instead).
 * Sellers carry only their id (no call to the user service); unknown and
 * deleted ids are left out.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  GetProductsRequest,
  GetProductsResponseSchema,
} from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { requireIds } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";
import { toProductMessage } from "./product-message.ts";

const MAX_IDS = 1000;

export async function getProducts(
  ctx: ProductContext,
  request: GetProductsRequest,
): Promise<MessageInitShape<typeof GetProductsResponseSchema>> {
  const records = await ctx.store.findProducts(requireIds(request.ids, "ids", MAX_IDS));
  return { products: records.map((record) => toProductMessage(record)) };
}
