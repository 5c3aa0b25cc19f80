/**
 * ReleaseStock (internal): puts the units held for an order back on the shelf,
 * exactly once. `released` is true when this or an earlier call returned them,
 * false when nothing was ever held (then a tombstone stops any later
 * ReserveStock for the order from taking stock).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ReleaseStockRequest,
  ReleaseStockResponseSchema,
} from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { requireId } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";

export async function releaseStock(
  ctx: ProductContext,
  request: ReleaseStockRequest,
): Promise<MessageInitShape<typeof ReleaseStockResponseSchema>> {
  const reservation = await ctx.store.releaseStock(requireId(request.orderId, "orderId"));
  return { released: reservation.status === "released" && reservation.returned };
}
