/**
 * The order service's view of the product service: live products for an order,
 * and the two idempotent stock steps of the saga. Failures of the call itself
 * never reach clients as they are (they may name hosts); they become a plain
 * Unavailable.
 */
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { DomainError } from "@skyros/kit/errors";
import type { Logger } from "@skyros/kit/logger";
import type { OrderLine, ProductSnapshot } from "./order-building.ts";

/** What a ReserveStock call established. */
export type ReserveOutcome =
  | { readonly kind: "held" }
  /** The product service refused: nothing is held. */
  | { readonly kind: "refused"; readonly code: Code; readonly message: string }
  /** No answer (or one that proves nothing): stock may or may not be held. */
  | { readonly kind: "unknown" };

export interface StockService {
  /** Live products by id (unknown and deleted ones absent). */
  products(ids: readonly string[]): Promise<Map<string, ProductSnapshot>>;
  reserve(orderId: string, items: readonly OrderLine[]): Promise<ReserveOutcome>;
  /** Puts the order's stock back; throws when that could not be confirmed. */
  release(orderId: string): Promise<void>;
}

// Answers that prove the reservation was not made: the product service decides
// these inside its all-or-nothing transaction and repeats them for the order.
const refusals = new Set([Code.FailedPrecondition, Code.NotFound, Code.InvalidArgument]);

/** An Unavailable error with a fixed message, for a dependency that failed. */
export function dependencyUnavailable(what: string): DomainError {
  return new DomainError("unavailable", `${what} is unavailable; try again`);
}

/** A StockService over a ProductService client. */
export function createStockService(client: Client<typeof ProductService>, logger: Logger): StockService {
  return {
    async products(ids) {
      let found: Awaited<ReturnType<typeof client.getProducts>>;
      try {
        found = await client.getProducts({ ids: [...ids] });
      } catch (error) {
        logger.warn({ err: error }, "GetProducts failed");
        throw dependencyUnavailable("the product service");
      }
      return new Map(
        found.products.map((product) => [
          product.id,
          { id: product.id, name: product.name, price: product.price, sellerId: product.seller?.id ?? "" },
        ]),
      );
    },

    async reserve(orderId, items) {
      try {
        await client.reserveStock({
          orderId,
          items: items.map((line) => ({ productId: line.productId, quantity: line.quantity })),
        });
        return { kind: "held" };
      } catch (error) {
        const connectError = ConnectError.from(error);
        if (refusals.has(connectError.code)) {
          return { kind: "refused", code: connectError.code, message: connectError.rawMessage };
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
