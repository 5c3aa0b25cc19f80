/**
 * Reserving stock for an order, as plain data: which lines a request asks for,
 * and the outcomes recorded for it. Whether the shelf can give every line is
 * decided in the database, with the product rows locked (the reserve_stock
 * function, migrations 0002 and 0003), in one round trip.
 */
import { invalidArgument } from "@skyros/kit/errors";
import { requireId } from "@skyros/kit/validation";

/** One product and how many units of it. */
export interface StockLine {
  readonly productId: string;
  readonly quantity: number;
}

/** A line held for an order, with the product as it was when the units were taken. */
export interface HeldLine {
  readonly productId: string;
  readonly sellerId: string;
  readonly name: string;
  readonly unitPrice: bigint;
  readonly quantity: number;
}

/** Why a reservation took nothing. */
export type ReservationFailure =
  | { readonly reason: "not_found"; readonly productId: string }
  /** The lines had to be of one seller; `productId` is of another seller than the first line's. */
  | { readonly reason: "mixed_sellers"; readonly productId: string }
  | {
      readonly reason: "insufficient_stock";
      readonly productId: string;
      readonly requested: number;
      readonly available: number;
    };

/** What is recorded for an order: the outcome that repeated calls return. */
export type Reservation =
  | { readonly status: "held"; readonly lines: readonly HeldLine[] }
  | { readonly status: "failed"; readonly failure: ReservationFailure }
  /** `returned`: the units had been held and went back on the shelf (false for a tombstone). */
  | { readonly status: "released"; readonly returned: boolean };

export const MAX_STOCK_LINES = 1000;
const MAX_QUANTITY = 2 ** 31 - 1;

/**
 * The lines of a ReserveStock request: at least one, each a product id and a
 * positive quantity; lines of one product are merged. Sorted by product id, the
 * order in which the store locks rows.
 */
export function requireStockLines(items: readonly StockLine[]): StockLine[] {
  if (items.length === 0) throw invalidArgument("items", "must have at least one line");
  if (items.length > MAX_STOCK_LINES) {
    throw invalidArgument("items", `must have at most ${MAX_STOCK_LINES} lines`);
  }
  const merged = new Map<string, number>();
  for (const item of items) {
    const productId = requireId(item.productId, "items.productId");
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) {
      throw invalidArgument("items.quantity", "must be greater than 0");
    }
    const quantity = (merged.get(productId) ?? 0) + item.quantity;
    if (quantity > MAX_QUANTITY) throw invalidArgument("items.quantity", "is too large");
    merged.set(productId, quantity);
  }
  return [...merged]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}
