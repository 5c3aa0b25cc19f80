/** Order records as their public messages, with the buyer's and seller's profiles. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Order, OrderSchema } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import type { User } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { OrderRecord } from "./store.ts";

/** The ids whose profiles the messages of `orders` need. */
export function partiesOf(orders: readonly OrderRecord[]): string[] {
  return orders.flatMap((order) => [order.buyerId, order.sellerId]);
}

/** An order as its message; a party without a profile shows its id alone. */
export function toOrderMessage(order: OrderRecord, profiles: ReadonlyMap<string, User>): Order {
  const profile = (id: string) => profiles.get(id) ?? { id };
  return create(OrderSchema, {
    id: order.id,
    status: order.status,
    description: order.description,
    sourceAddress: order.sourceAddress,
    destinationAddress: order.destinationAddress,
    totalPrice: order.totalPrice,
    buyer: profile(order.buyerId),
    seller: profile(order.sellerId),
    items: order.items.map((line) => ({ ...line })),
    createTime: timestampFromDate(order.createTime),
    updateTime: timestampFromDate(order.updateTime),
  });
}
