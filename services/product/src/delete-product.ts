/** DeleteProduct: the owning seller soft-deletes a product; orders keep their snapshots. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type {
  DeleteProductRequest,
  DeleteProductResponseSchema,
} from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import { notFound } from "@skyros/kit/errors";
import { requireId } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";

export async function deleteProduct(
  ctx: ProductContext,
  request: DeleteProductRequest,
  call: HandlerContext,
): Promise<MessageInitShape<typeof DeleteProductResponseSchema>> {
  const seller = await authenticateAs(ctx.users.verifier, call.requestHeader, "seller");
  const id = requireId(request.id, "id");
  if (!(await ctx.store.deleteProduct(id, seller.userId))) throw notFound(`product ${id} not found`);
  return {};
}
