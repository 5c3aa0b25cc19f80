/**
 * The stock invariant across the two databases: for every product, the stock
 * it was seeded with equals the stock on its shelf plus the units held by live
 * orders. Read once the order service has no reservation step in flight.
 */

import { postgres } from "@skyros/kit/postgres-driver";
import type { Sql } from "postgres";
import type { Catalog } from "./catalog.ts";

export interface StockInvariantReport {
  readonly holds: boolean;
  readonly productsChecked: number;
  /** Products whose units do not add up (at most 10 listed). */
  readonly mismatches: readonly { productId: string; initial: number; shelf: number; held: number }[];
  readonly liveOrders: number;
  readonly unitsHeld: number;
  /** Orders whose stock step was still unfinished when the check gave up waiting. */
  readonly ordersInFlight: number;
  /**
   * When it does not hold: the product service's reservations of the mismatched
   * products, each with what the order service knows of its order.
   */
  readonly suspects: readonly Suspect[];
}

export interface Suspect {
  readonly orderId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly reservation: string;
  /** The order's status and stock step in the order database; "missing" when it has no such order. */
  readonly order: string;
}

const LIVE = ["pending", "accepted", "shipped", "delivered"];

/** Waits (up to `waitMs`) for reservations in flight to settle, then checks the invariant. */
export async function checkStockInvariant(
  urls: { product: string; order: string },
  catalog: Catalog,
  waitMs = 15_000,
): Promise<StockInvariantReport> {
  const orders = postgres(urls.order, { max: 1, onnotice: () => {} });
  const products = postgres(urls.product, { max: 1, onnotice: () => {} });
  try {
    let inFlight = 0;
    const deadline = Date.now() + waitMs;
    do {
      const [row] = await orders<{ n: number }[]>`
        select count(*)::int as n from orders where stock in ('reserving', 'releasing')`;
      inFlight = row?.n ?? 0;
      if (inFlight > 0) await new Promise((done) => setTimeout(done, 250));
    } while (inFlight > 0 && Date.now() < deadline);

    const held = new Map<string, number>();
    const [live] = await orders<
      { n: number }[]
    >`select count(*)::int as n from orders where status in ${orders(LIVE)}`;
    const lines = await orders<{ productId: string; quantity: number }[]>`
      select line->>'productId' as "productId", sum((line->>'quantity')::int)::int as quantity
      from orders, jsonb_array_elements(items) as line
      where status in ${orders(LIVE)}
      group by 1`;
    for (const line of lines) held.set(line.productId, line.quantity);
    const shelf = new Map<string, number>();
    // stock is a bigint column; float8 holds any count exactly up to 2^53.
    for (const row of await products<{ id: string; stock: number }[]>`
      select id, stock::float8 as stock from products`) {
      shelf.set(row.id, row.stock);
    }

    const mismatches: { productId: string; initial: number; shelf: number; held: number }[] = [];
    let unitsHeld = 0;
    let bad = 0;
    for (const product of catalog.products) {
      const onShelf = shelf.get(product.id) ?? 0;
      const inOrders = held.get(product.id) ?? 0;
      unitsHeld += inOrders;
      if (onShelf + inOrders !== product.stock) {
        bad++;
        if (mismatches.length < 10) {
          mismatches.push({ productId: product.id, initial: product.stock, shelf: onShelf, held: inOrders });
        }
      }
    }
    const suspects =
      bad === 0
        ? []
        : await findSuspects(
            products,
            orders,
            mismatches.map((m) => m.productId),
          );
    return {
      holds: bad === 0,
      productsChecked: catalog.products.length,
      mismatches,
      liveOrders: live?.n ?? 0,
      unitsHeld,
      ordersInFlight: inFlight,
      suspects,
    };
  } finally {
    await orders.end();
    await products.end();
  }
}

/**
 * The reservations of `productIds` whose order is not live: where the units
 * went. Reads the product service's reservation tables, so it is diagnosis
 * only: an error yields no suspects rather than a failed run.
 */
async function findSuspects(products: Sql, orders: Sql, productIds: string[]): Promise<Suspect[]> {
  try {
    const held = await products<{ orderId: string; productId: string; quantity: number; status: string }[]>`
      select i.order_id as "orderId", i.product_id as "productId", i.quantity, r.status
      from reservation_items i join reservations r using (order_id)
      where i.product_id in ${products(productIds)} and r.status = 'held'`;
    if (held.length === 0) return [];
    const known = await orders<{ id: string; status: string; stock: string }[]>`
      select id, status, stock from orders where id in ${orders(held.map((h) => h.orderId))}`;
    const byId = new Map(known.map((o) => [o.id, `${o.status}/${o.stock}`]));
    return held
      .map((h) => ({ ...h, reservation: h.status, order: byId.get(h.orderId) ?? "missing" }))
      .filter((s) => !LIVE.some((status) => s.order.startsWith(`${status}/`)))
      .map(({ orderId, productId, quantity, reservation, order }) => ({
        orderId,
        productId,
        quantity,
        reservation,
        order,
      }));
  } catch {
    return [];
  }
}
