/**
 * CreateOrder: the first half of the stock saga. The order is inserted as
 * pending and reserving (with its Idempotency-Key record, in one statement),
 * then its stock is reserved; the answer settles it as held or failed. When the
 * product service gives no answer the order stays reserving, hidden, for the
 * recovery loop, and the client is told to retry (with its key).
 */
import { randomUUID } from "node:crypto";
import type { HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CreateOrderRequest, Order } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import type { User } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { authenticateAs } from "@skyros/kit/auth";
import { aborted, DomainError } from "@skyros/kit/errors";
import type { OrderContext } from "./context.ts";
import { idempotencyKeyFrom, idempotencyKeyReused, requestHash } from "./idempotency.ts";
import { type BuiltOrder, buildOrder, validateOrderInput } from "./order-building.ts";
import { fetchProfiles, partiesOf, toOrderMessage } from "./order-message.ts";
import type { IdempotencyRecord, OrderRecord } from "./store.ts";

const inProgress = () =>
  aborted("a request with this Idempotency-Key is still in progress; retry it in a few seconds");

/** The handler of CreateOrder. */
export function createOrderHandler(ctx: OrderContext) {
  const { store } = ctx;

  /** The answer an order's request gets, once its stock step has an outcome. */
  const answer = async (order: OrderRecord, profiles?: ReadonlyMap<string, User>): Promise<Order> => {
    if (order.status === "failed") {
      const code = Code[order.failureCode as keyof typeof Code] ?? Code.Unavailable;
      throw new ConnectError(order.failureMessage ?? "the order could not be placed", code);
    }
    if (order.stock === "reserving") throw inProgress();
    return toOrderMessage(
      order,
      profiles ?? (await fetchProfiles(ctx.users, partiesOf([order]), ctx.logger)),
    );
  };

  /** A repeat of a keyed request: the first request's outcome, or 422 for another request. */
  const replay = async (record: IdempotencyRecord, hash: Buffer): Promise<Order> => {
    if (!record.requestHash.equals(hash)) throw idempotencyKeyReused();
    const order = await store.findOrder(record.orderId);
    if (order === undefined) throw inProgress();
    return answer(order);
  };

  return async (request: CreateOrderRequest, context: HandlerContext): Promise<Order> => {
    const caller = await authenticateAs(ctx.users.verifier, context.requestHeader, "buyer");
    const input = validateOrderInput(request);
    const key = idempotencyKeyFrom(context.requestHeader);
    const hash = requestHash(input);

    // A repeat is recognised by its key record, which the insert below finds
    // (no lookup first on the common path). Should preparing the order fail,
    // the key is looked up then: a repeat gets the first outcome regardless.
    const repeatOf = async (): Promise<IdempotencyRecord | undefined> =>
      key === undefined ? undefined : store.findIdempotencyKey(caller.userId, key);
    let built: BuiltOrder;
    let profiles: Map<string, User>;
    try {
      built = buildOrder(input, await ctx.stock.products(input.items.map((line) => line.productId)));
      profiles = await fetchProfiles(ctx.users, [caller.userId, built.sellerId], ctx.logger);
    } catch (error) {
      const existing = await repeatOf();
      if (existing !== undefined) return replay(existing, hash);
      throw error;
    }

    const id = randomUUID();
    const inserted = await store.insertOrder(
      {
        id,
        buyerId: caller.userId,
        sellerId: built.sellerId,
        description: input.description,
        sourceAddress: profiles.get(built.sellerId)?.address ?? "",
        destinationAddress: input.destinationAddress,
        totalPrice: built.totalPrice,
        items: built.items,
      },
      key === undefined ? undefined : { key, requestHash: hash, ttlSeconds: ctx.idempotencyKeyTtlSeconds },
      ctx.stockStepTimeoutMs,
    );
    if (inserted.outcome === "key-taken") {
      const existing = await repeatOf();
      // Gone meanwhile: it expired between the insert and this read.
      if (existing === undefined) throw inProgress();
      return replay(existing, hash);
    }

    const outcome = await ctx.stock.reserve(id, built.items);
    if (outcome.kind === "held") {
      const order = (await store.markHeld(id)) ?? (await store.findOrder(id));
      return answer(order ?? inserted.record, profiles);
    }
    if (outcome.kind === "refused") {
      await store.markRefused(id, Code[outcome.code], outcome.message);
      throw new ConnectError(outcome.message, outcome.code);
    }
    throw new DomainError(
      "unavailable",
      "the order could not be confirmed yet; retry with the same Idempotency-Key to learn its outcome",
    );
  };
}
