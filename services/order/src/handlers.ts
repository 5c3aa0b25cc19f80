/** The handlers of skyros.order.v1.OrderService, one module per RPC family. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { changeOrderHandler } from "./change-order.ts";
import type { OrderContext } from "./context.ts";
import { createOrderHandler } from "./create-order.ts";
import { getOrderHandler, listOrdersHandler } from "./read-orders.ts";

/** Every RPC of the order service. */
export function createOrderHandlers(ctx: OrderContext): ServiceImpl<typeof OrderService> {
  return {
    createOrder: createOrderHandler(ctx),
    getOrder: getOrderHandler(ctx),
    listOrders: listOrdersHandler(ctx),
    acceptOrder: changeOrderHandler(ctx, "accept"),
    rejectOrder: changeOrderHandler(ctx, "reject"),
    shipOrder: changeOrderHandler(ctx, "ship"),
    deliverOrder: changeOrderHandler(ctx, "deliver"),
    cancelOrder: changeOrderHandler(ctx, "cancel"),
  };
}
