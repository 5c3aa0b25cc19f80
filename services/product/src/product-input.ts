/**
 * The rules a product's fields follow, whichever RPC sets them. Every string is
 * bounded; every failure names the field as clients spell it.
 */
import { invalidArgument } from "@skyros/kit/errors";
import { requireText } from "@skyros/kit/validation";

export const MAX_NAME_BYTES = 200;
export const MAX_DESCRIPTION_BYTES = 5000;
/** A ceiling far above any shelf, so that returning reserved units can never overflow. */
export const MAX_STOCK = 1_000_000_000;
/** The largest price PostgreSQL's bigint holds. */
const MAX_PRICE = 2n ** 63n - 1n;

/** The editable fields of a product. */
export interface ProductFields {
  readonly name: string;
  readonly description: string;
  /** Minor units (cents). */
  readonly price: bigint;
  readonly stock: number;
}

export function requireName(value: string): string {
  return requireText(value, "name", { maxBytes: MAX_NAME_BYTES });
}

export function requireDescription(value: string): string {
  return requireText(value, "description", {
    min: 0,
    maxBytes: MAX_DESCRIPTION_BYTES,
    multiline: true,
  });
}

export function requirePrice(value: bigint): bigint {
  if (value <= 0n) throw invalidArgument("price", "must be greater than 0 (minor units)");
  if (value > MAX_PRICE) throw invalidArgument("price", "is too large");
  return value;
}

export function requireStock(value: number): number {
  if (!Number.isInteger(value) || value < 0) throw invalidArgument("stock", "must be 0 or more");
  if (value > MAX_STOCK) throw invalidArgument("stock", `must be at most ${MAX_STOCK}`);
  return value;
}

/** The fields of a new product, each checked. */
export function requireProductFields(input: ProductFields): ProductFields {
  return {
    name: requireName(input.name),
    description: requireDescription(input.description),
    price: requirePrice(input.price),
    stock: requireStock(input.stock),
  };
}
