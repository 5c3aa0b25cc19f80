/**
 * Building an order from a request and the products it names: plain data in
 * and out. Lines naming the same product are merged into one line with the sum
 * of their quantities; the order must be of one seller's products; names and
 * prices are copied (snapshots); the total is computed here, in minor units,
 * refusing any sum that would not fit in an int64.
 */
import { invalidArgument, notFound } from "@skyros/kit/errors";
import { requireId, requireText } from "@skyros/kit/validation";

export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 2_147_483_647;
const MAX_TOTAL_PRICE = 9_223_372_036_854_775_807n;

export interface OrderLineInput {
  readonly productId: string;
  readonly quantity: number;
}

/** A CreateOrder request after validation: trimmed text, merged lines. */
export interface OrderInput {
  readonly description: string;
  readonly destinationAddress: string;
  readonly items: readonly OrderLineInput[];
}

/** What an order needs to know of a product. */
export interface ProductSnapshot {
  readonly id: string;
  readonly name: string;
  readonly price: bigint;
  readonly sellerId: string;
}

/** A line of a placed order. */
export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly unitPrice: bigint;
  readonly quantity: number;
}

export interface BuiltOrder {
  readonly sellerId: string;
  readonly items: readonly OrderLine[];
  readonly totalPrice: bigint;
}

/** Validates a CreateOrder request; duplicate product lines are merged in first-seen order. */
export function validateOrderInput(request: {
  description: string;
  destinationAddress: string;
  items: readonly OrderLineInput[];
}): OrderInput {
  const description = requireText(request.description, "description", {
    min: 0,
    maxBytes: 2000,
    multiline: true,
  });
  const destinationAddress = requireText(request.destinationAddress, "destinationAddress", {
    maxBytes: 500,
    multiline: true,
  });
  if (request.items.length === 0) throw invalidArgument("items", "must have at least one line");
  if (request.items.length > MAX_ORDER_LINES) {
    throw invalidArgument("items", `must have at most ${MAX_ORDER_LINES} lines`);
  }
  const quantities = new Map<string, number>();
  request.items.forEach((item, index) => {
    const productId = requireId(item.productId, `items[${index}].productId`);
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) {
      throw invalidArgument(`items[${index}].quantity`, "must be a positive number of units");
    }
    const quantity = (quantities.get(productId) ?? 0) + item.quantity;
    if (quantity > MAX_LINE_QUANTITY) {
      throw invalidArgument(
        `items[${index}].quantity`,
        `must total at most ${MAX_LINE_QUANTITY} per product`,
      );
    }
    quantities.set(productId, quantity);
  });
  return {
    description,
    destinationAddress,
    items: [...quantities].map(([productId, quantity]) => ({ productId, quantity })),
  };
}

/**
 * The lines, seller and total of an order of `lines`, given the products its
 * reservation took. A product missing is NotFound; products of two sellers are
 * InvalidArgument (the reservation refuses both first; this keeps the order
 * whole on its own); so is a total that does not fit in an int64.
 */
export function buildOrder(
  lines: readonly OrderLineInput[],
  products: ReadonlyMap<string, ProductSnapshot>,
): BuiltOrder {
  let sellerId: string | undefined;
  let totalPrice = 0n;
  const items = lines.map((line): OrderLine => {
    const product = products.get(line.productId);
    if (product === undefined) throw notFound(`product ${line.productId} not found`);
    sellerId ??= product.sellerId;
    if (product.sellerId !== sellerId) {
      throw invalidArgument("items", "all products of an order must be of one seller");
    }
    totalPrice += product.price * BigInt(line.quantity);
    if (totalPrice > MAX_TOTAL_PRICE) throw invalidArgument("items", "the order's total price is too large");
    return { productId: product.id, name: product.name, unitPrice: product.price, quantity: line.quantity };
  });
  return { sellerId: sellerId as string, items, totalPrice };
}
