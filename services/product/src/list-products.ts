/** ListProducts: anyone lists live products, newest first, filtered and paged. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type {
  ListProductsRequest,
  ListProductsResponseSchema,
} from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { resolvePage, takePage } from "@skyros/kit/paging";
import { isUuid, requireId, requireIds, requireText } from "@skyros/kit/validation";
import { optionalCaller } from "./caller.ts";
import type { ProductContext } from "./context.ts";
import { withSellers } from "./product-message.ts";
import type { ProductFilter } from "./store.ts";

export const MAX_LIST_IDS = 100;
const MAX_SEARCH_BYTES = 200;

function requireSearch(value: string): string | undefined {
  const text = requireText(value, "search", {
    min: 0,
    maxBytes: MAX_SEARCH_BYTES,
  });
  return text === "" ? undefined : text;
}

export async function listProducts(
  ctx: ProductContext,
  request: ListProductsRequest,
  call: HandlerContext,
): Promise<MessageInitShape<typeof ListProductsResponseSchema>> {
  const caller = await optionalCaller(ctx.users.verifier, call.requestHeader);
  const explicitSeller = request.sellerId === "" ? undefined : requireId(request.sellerId, "sellerId");
  const search = requireSearch(request.search);
  if (request.ids.length > 0) {
    // Exactly those products, narrowed only by the filters the request names.
    const ids = requireIds(request.ids, "ids", MAX_LIST_IDS);
    const records = await ctx.store.findProducts(ids, { sellerId: explicitSeller, search });
    return { result: await withSellers(ctx.users, ctx.logger, records), nextPageToken: "" };
  }
  const filter: ProductFilter = {
    // A seller who names no seller lists their own catalog, as the original API does.
    sellerId: explicitSeller ?? (caller?.role === "seller" ? caller.userId : undefined),
    search,
  };
  const page = resolvePage(request, isUuid);
  const { items, nextPageToken } = takePage(await ctx.store.listProducts(filter, page), page);
  return { result: await withSellers(ctx.users, ctx.logger, items), nextPageToken };
}
