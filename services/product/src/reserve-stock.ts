/**
 * ReserveStock (internal): takes every line's units off the shelf for an order,
 * all or nothing, once per order id.
 *
 * Outcomes, the same for every repeated call with the order id:
 * - OK: the units are held for the order now; the lines say at what price.
 * - NotFound (ResourceInfo detail): a product is unknown or deleted; nothing taken.
 * - InvalidArgument (BadRequest on "items"): with single_seller, products of
 *   two sellers; nothing taken.
 * - FailedPrecondition (PreconditionFailure, type "STOCK", subject "products/<id>"):
 *   not enough units of that product; nothing taken.
 * - FailedPrecondition (PreconditionFailure, type "RESERVATION", subject
 *   "orders/<id>"): the order's stock was already released (or a release came
 *   first); nothing is held and nothing will be.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  PreconditionFailureSchema,
  ResourceInfoSchema,
} from "@skyros/contracts/google/rpc/error_details_pb.js";
import type {
  ReserveStockRequest,
  ReserveStockResponseSchema,
} from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { domainErrorToConnect, invalidArgument } from "@skyros/kit/errors";
import { requireId } from "@skyros/kit/validation";
import type { ProductContext } from "./context.ts";
import { type Reservation, requireStockLines } from "./stock-reservation.ts";

const preconditionFailure = (message: string, type: string, subject: string) =>
  new ConnectError(message, Code.FailedPrecondition, undefined, [
    {
      desc: PreconditionFailureSchema,
      value: create(PreconditionFailureSchema, { violations: [{ type, subject, description: message }] }),
    },
  ]);

/** The error a reservation that holds nothing stands for, with a detail machines can read. */
export function reservationError(orderId: string, reservation: Exclude<Reservation, { status: "held" }>) {
  if (reservation.status === "released") {
    return preconditionFailure(
      `the stock of order ${orderId} was already released`,
      "RESERVATION",
      `orders/${orderId}`,
    );
  }
  const { failure } = reservation;
  if (failure.reason === "mixed_sellers") {
    return domainErrorToConnect(invalidArgument("items", "all products of an order must be of one seller"));
  }
  if (failure.reason === "not_found") {
    const message = `product ${failure.productId} not found`;
    return new ConnectError(message, Code.NotFound, undefined, [
      {
        desc: ResourceInfoSchema,
        value: create(ResourceInfoSchema, {
          resourceType: "skyros.product.v1.Product",
          resourceName: failure.productId,
          description: message,
        }),
      },
    ]);
  }
  return preconditionFailure(
    `not enough stock of product ${failure.productId}: ${failure.requested} requested, ${failure.available} available`,
    "STOCK",
    `products/${failure.productId}`,
  );
}

export async function reserveStock(
  ctx: ProductContext,
  request: ReserveStockRequest,
): Promise<MessageInitShape<typeof ReserveStockResponseSchema>> {
  const orderId = requireId(request.orderId, "orderId");
  const lines = requireStockLines(request.items);
  const reservation = await ctx.store.reserveStock(orderId, lines, { singleSeller: request.singleSeller });
  if (reservation.status !== "held") throw reservationError(orderId, reservation);
  return { items: [...reservation.lines] };
}
