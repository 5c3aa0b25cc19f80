/**
 * The second half of placing an order, once its stock is held: the order is
 * built from what the reservation took (seller, names, prices) and marked
 * held. Shared by CreateOrder and the recovery loop, which finishes orders
 * whose answer was lost.
 *
 * Building the order from the reservation, not from a GetProducts call made
 * before it, saves a call to the product service and a query on every order
 * (measured in docs/performance-notes.md), and the price recorded is
 * the one in force when the units were taken, under the rows' locks.
 */

import type { User } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { toPublicError } from "@skyros/kit/errors";
import { fetchProfiles } from "@skyros/kit/user-directory";
import { releaseStock } from "./change-order.ts";
import type { OrderContext } from "./context.ts";
import { buildOrder, type OrderLineInput, type ProductSnapshot } from "./order-building.ts";
import type { OrderRecord } from "./store.ts";

export interface HeldOrderOutcome {
  /** The order marked held; undefined when it was no longer reserving (another step settled it). */
  readonly order: OrderRecord | undefined;
  /** The profiles of `parties` and of the seller. */
  readonly profiles: Map<string, User>;
}

/**
 * Builds order `id` from its reservation's `products` and marks it held. An
 * order that cannot be built (its total does not fit in an int64) fails, its
 * stock is given back, and the builder's error is thrown. Should the user
 * service not answer, the order stays reserving for the recovery loop.
 */
export async function holdOrder(
  ctx: OrderContext,
  id: string,
  lines: readonly OrderLineInput[],
  products: ReadonlyMap<string, ProductSnapshot>,
  parties: readonly string[],
): Promise<HeldOrderOutcome> {
  let built: ReturnType<typeof buildOrder>;
  try {
    built = buildOrder(lines, products);
  } catch (error) {
    if (
      await ctx.store.failHeld(
        id,
        toPublicError(error, () => {}),
      )
    ) {
      await releaseStock(ctx, id);
    }
    throw error;
  }
  const profiles = await fetchProfiles(ctx.users, [...parties, built.sellerId], ctx.logger);
  const order = await ctx.store.markHeld(id, {
    ...built,
    sourceAddress: profiles.get(built.sellerId)?.address ?? "",
  });
  return { order, profiles };
}
