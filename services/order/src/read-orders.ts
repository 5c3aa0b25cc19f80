/** GetOrder and ListOrders: an order is visible to its buyer and its seller only. */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetOrderRequest,
  type ListOrdersRequest,
  type ListOrdersResponse,
  ListOrdersResponseSchema,
  type Order,
} from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { authenticate } from "@skyros/kit/auth";
import { notFound } from "@skyros/kit/errors";
import { resolvePage, takePage } from "@skyros/kit/paging";
import { fetchProfiles } from "@skyros/kit/user-directory";
import { isUuid, requireId } from "@skyros/kit/validation";
import type { OrderContext } from "./context.ts";
import { partiesOf, toOrderMessage } from "./order-message.ts";
import { requireStatusFilter } from "./order-status.ts";
import { isVisibleTo } from "./store.ts";

/** The handler of GetOrder; anyone but the order's buyer and seller gets NotFound. */
export function getOrderHandler(ctx: OrderContext) {
  return async (request: GetOrderRequest, context: HandlerContext): Promise<Order> => {
    const caller = await authenticate(ctx.users.verifier, context.requestHeader);
    const id = requireId(request.orderId, "orderId");
    const order = await ctx.store.findOrder(id);
    if (!isVisibleTo(order, caller.userId)) throw notFound("order not found");
    return toOrderMessage(order, await fetchProfiles(ctx.users, partiesOf([order]), ctx.logger));
  };
}

/** The handler of ListOrders: the caller's orders as a buyer or as a seller, by role. */
export function listOrdersHandler(ctx: OrderContext) {
  return async (request: ListOrdersRequest, context: HandlerContext): Promise<ListOrdersResponse> => {
    const caller = await authenticate(ctx.users.verifier, context.requestHeader);
    const status = requireStatusFilter(request.status);
    const page = resolvePage(request, isUuid);
    const rows = await ctx.store.listOrders({ party: caller.role, userId: caller.userId, status, page });
    const { items, nextPageToken } = takePage(rows, page);
    const profiles = await fetchProfiles(ctx.users, partiesOf(items), ctx.logger);
    return create(ListOrdersResponseSchema, {
      result: items.map((order) => toOrderMessage(order, profiles)),
      nextPageToken,
    });
  };
}
