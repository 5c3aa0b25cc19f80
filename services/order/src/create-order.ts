/**
 * CreateOrder: the first half of the stock saga. The order is inserted as
 * pending and reserving with the requested lines (with its Idempotency-Key
 * record, in one statement), then its stock is reserved, all lines of one
 * seller; the answer settles it: held, built from what the reservation took
 * (held-order.ts), or failed. When the product service gives no answer the
 * order stays reserving, hidden, for the recovery loop, and the client is told
 * to retry (with its key).
 */
import { randomUUID } from "node:crypto";
import type { HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CreateOrderRequest, Order } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import type { User } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import { aborted, unavailable } from "@skyros/kit/errors";
import { decodeStatus } from "@skyros/kit/grpc-status";
import { fetchProfiles } from "@skyros/kit/user-directory";
import type { OrderContext } from "./context.ts";
import { holdOrder } from "./held-order.ts";
import { idempotencyKeyFrom, idempotencyKeyReused, requestHash } from "./idempotency.ts";
import { validateOrderInput } from "./order-building.ts";
import { partiesOf, toOrderMessage } from "./order-message.ts";
import type { IdempotencyRecord, OrderRecord } from "./store.ts";

/**
 * An order as the request that placed it was answered: every order is placed
 * pending, and placing it (holding its stock) leaves its update time at its
 * creation; everything else a placed order shows never changes.
 */
const asPlaced = (order: OrderRecord): OrderRecord =>
  order.status === "failed" || order.stock === "reserving"
    ? order
    : { ...order, status: "pending", updateTime: order.createTime };

/** A placement takes well under a second unless something is down; the client may look again then. */
const RETRY_AFTER_SECONDS = 2;

const inProgress = () =>
  aborted(
    "a request with this Idempotency-Key is still in progress; retry it in a few seconds",
    RETRY_AFTER_SECONDS,
  );

/** The handler of CreateOrder. */
export function createOrderHandler(ctx: OrderContext) {
  const { store } = ctx;

  /** The answer an order's request gets, once its stock step has an outcome. */
  const answer = async (order: OrderRecord, profiles?: ReadonlyMap<string, User>): Promise<Order> => {
    if (order.status === "failed") {
      if (order.failureStatus !== null) throw decodeStatus(order.failureStatus);
      const code = Code[order.failureCode as keyof typeof Code] ?? Code.Unavailable;
      throw new ConnectError(order.failureMessage ?? "the order could not be placed", code);
    }
    if (order.stock === "reserving") throw inProgress();
    return toOrderMessage(
      order,
      profiles ?? (await fetchProfiles(ctx.users, partiesOf([order]), ctx.logger)),
    );
  };

  /**
   * A repeat of a keyed request: the first request's answer, or 422 for another
   * request. An order placed was answered as it stood then, pending and not yet
   * updated; later changes (accepted, cancelled, ...) are not replayed, as the
   * key's semantics ask. The parties' profiles are read anew.
   */
  const replay = async (record: IdempotencyRecord, hash: Buffer): Promise<Order> => {
    if (!record.requestHash.equals(hash)) throw idempotencyKeyReused();
    const order = await store.findOrder(record.orderId);
    if (order === undefined) throw inProgress();
    return answer(asPlaced(order));
  };

  return async (request: CreateOrderRequest, context: HandlerContext): Promise<Order> => {
    const caller = await authenticateAs(ctx.users.verifier, context.requestHeader, "buyer");
    const input = validateOrderInput(request);
    const key = idempotencyKeyFrom(context.requestHeader);
    const hash = requestHash(input);

    // A repeat is recognised by its key record, which the insert finds (no
    // lookup first on the common path).
    const id = randomUUID();
    const inserted = await store.insertOrder(
      {
        id,
        buyerId: caller.userId,
        description: input.description,
        destinationAddress: input.destinationAddress,
        lines: input.items,
      },
      key === undefined ? undefined : { key, requestHash: hash, ttlSeconds: ctx.idempotencyKeyTtlSeconds },
    );
    if (inserted.outcome === "key-taken") {
      const existing = key === undefined ? undefined : await store.findIdempotencyKey(caller.userId, key);
      // Gone meanwhile: it expired between the insert and this read.
      if (existing === undefined) throw inProgress();
      return replay(existing, hash);
    }

    const outcome = await ctx.stock.reserve(id, input.items);
    if (outcome.kind === "held") {
      const held = await holdOrder(ctx, id, input.items, outcome.products, [caller.userId]);
      const order = held.order ?? (await store.findOrder(id));
      if (order === undefined) throw inProgress();
      return answer(order, held.profiles);
    }
    if (outcome.kind === "refused") {
      await store.markRefused(id, outcome.error);
      throw outcome.error;
    }
    throw unavailable(
      "the order could not be confirmed yet; retry with the same Idempotency-Key to learn its outcome",
      RETRY_AFTER_SECONDS,
    );
  };
}
