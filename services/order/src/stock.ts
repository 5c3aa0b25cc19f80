/**
 * The order service's view of the product service: the two idempotent stock
 * steps of the saga. A reservation answers with the products it took, as they
 * were when it took them, which is what an order is built from. Failures of
 * the call itself never reach clients as they are (they may name hosts); they
 * become a plain Unavailable.
 */
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import type { Logger } from "@skyros/kit/logger";
import type { OrderLineInput, ProductSnapshot } from "./order-building.ts";

/** What a ReserveStock call established. */
export type ReserveOutcome =
  /** Held; the products taken, by id. */
  | { readonly kind: "held"; readonly products: ReadonlyMap<string, ProductSnapshot> }
  /** The product service refused: nothing is held. `error` is its answer, for the client. */
  | { readonly kind: "refused"; readonly error: ConnectError }
  /** No answer (or one that proves nothing): stock may or may not be held. */
  | { readonly kind: "unknown" };

export interface StockService {
  /** Reserves the lines, which must all be of one seller. */
  reserve(orderId: string, lines: readonly OrderLineInput[]): Promise<ReserveOutcome>;
  /** Puts the order's stock back; throws when that could not be confirmed. */
  release(orderId: string): Promise<void>;
}

// Answers that prove the reservation was not made: the product service decides
// these inside its all-or-nothing transaction and repeats them for the order.
const refusals = new Set([Code.FailedPrecondition, Code.NotFound, Code.InvalidArgument]);

/** A StockService over a ProductService client. */
export function createStockService(client: Client<typeof ProductService>, logger: Logger): StockService {
  return {
    async reserve(orderId, lines) {
      try {
        const response = await client.reserveStock({
          orderId,
          items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
          singleSeller: true,
        });
        const products = new Map<string, ProductSnapshot>();
        for (const item of response.items) {
          products.set(item.productId, {
            id: item.productId,
            name: item.name,
            price: item.unitPrice,
            sellerId: item.sellerId,
          });
        }
        return { kind: "held", products };
      } catch (error) {
        const connectError = ConnectError.from(error);
        if (refusals.has(connectError.code)) {
          // Its details for the client, without the product service's response metadata.
          const refusal = new ConnectError(connectError.rawMessage, connectError.code);
          refusal.details.push(...connectError.details);
          return { kind: "refused", error: refusal };
        }
        logger.warn({ err: error, orderId }, "ReserveStock got no answer");
        return { kind: "unknown" };
      }
    },

    async release(orderId) {
      await client.releaseStock({ orderId });
    },
  };
}
