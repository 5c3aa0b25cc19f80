/**
 * The lifecycle RPCs (accept, reject, ship, deliver, cancel). The transition is
 * one conditional UPDATE, so of two concurrent changes to one order only one
 * wins. Reject and cancel then return the order's stock (the second half of the
 * saga); if that call fails, the order stays marked releasing and the recovery
 * loop finishes it.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { Order } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import { aborted, notFound, permissionDenied } from "@skyros/kit/errors";
import { fetchProfiles } from "@skyros/kit/user-directory";
import { requireId } from "@skyros/kit/validation";
import type { OrderContext } from "./context.ts";
import { partiesOf, toOrderMessage } from "./order-message.ts";
import { type OrderAction, TRANSITIONS, transitionFrom } from "./order-status.ts";
import { isVisibleTo, type OrderRecord } from "./store.ts";

/** Releases an order's stock now, leaving it to the recovery loop if that fails. */
export async function releaseStock(ctx: OrderContext, orderId: string): Promise<boolean> {
  try {
    await ctx.stock.release(orderId);
    await ctx.store.markReleased(orderId);
    return true;
  } catch (error) {
    ctx.logger.warn({ err: error, orderId }, "stock release not confirmed; recovery will retry it");
    return false;
  }
}

/** The handler of the RPC that makes `action`. */
export function changeOrderHandler(ctx: OrderContext, action: OrderAction) {
  const transition = TRANSITIONS[action];
  const party = (order: OrderRecord) => (transition.by === "buyer" ? order.buyerId : order.sellerId);

  /** Why the transition did not happen, as the caller may learn it. */
  const refusal = async (id: string, userId: string): Promise<Error> => {
    const order = await ctx.store.findOrder(id);
    if (!isVisibleTo(order, userId)) return notFound("order not found");
    if (party(order) !== userId)
      return permissionDenied(`only the ${transition.by} of the order may ${action} it`);
    transitionFrom(order.status as Exclude<OrderRecord["status"], "failed">, action);
    // It was in the right status a moment ago: another change won the race.
    return aborted("the order changed meanwhile; try again");
  };

  return async (request: { orderId: string }, context: HandlerContext): Promise<Order> => {
    const caller = await authenticateAs(ctx.users.verifier, context.requestHeader, transition.by);
    const id = requireId(request.orderId, "orderId");
    const order = await ctx.store.transition(id, transition.by, caller.userId, {
      from: transition.from,
      to: transition.to,
      release: transition.releasesStock,
    });
    if (order === undefined) throw await refusal(id, caller.userId);
    const [profiles] = await Promise.all([
      fetchProfiles(ctx.users, partiesOf([order]), ctx.logger),
      transition.releasesStock ? releaseStock(ctx, id) : undefined,
    ]);
    return toOrderMessage(order, profiles);
  };
}
