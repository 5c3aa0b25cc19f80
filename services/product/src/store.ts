/** All SQL of the product service. */

import type { Sql } from "@skyros/kit/database";
import type { Cursor, Page } from "@skyros/kit/paging";
import type { ProductFields } from "./product-input.ts";
import type { ProductChanges } from "./product-update.ts";
import type { HeldLine, Reservation, ReservationFailure, StockLine } from "./stock-reservation.ts";

/** A live product as stored. */
export interface ProductRecord extends ProductFields {
  readonly id: string;
  readonly sellerId: string;
  readonly createTime: Date;
  readonly updateTime: Date;
}

export interface NewProduct extends ProductFields {
  readonly id: string;
  readonly sellerId: string;
}

/** Filters of a product list; absent ones do not filter. */
export interface ProductFilter {
  readonly sellerId?: string | undefined;
  /** Text the name or the description contains, case-insensitively. */
  readonly search?: string | undefined;
}

export interface ProductStore {
  insertProduct(product: NewProduct): Promise<ProductRecord>;
  /** A live product, or undefined when it is unknown or deleted. */
  findProduct(id: string): Promise<ProductRecord | undefined>;
  /** The live products among `ids`, newest first. */
  findProducts(ids: readonly string[], filter?: ProductFilter): Promise<ProductRecord[]>;
  /** One page of live products, newest first: up to `page.size + 1` rows, so the caller sees if more follow. */
  listProducts(filter: ProductFilter, page: Page): Promise<ProductRecord[]>;
  /** Applies `changes` to a live product of `sellerId`; undefined when there is none. */
  updateProduct(id: string, sellerId: string, changes: ProductChanges): Promise<ProductRecord | undefined>;
  /** Soft-deletes a live product of `sellerId`; false when there is none. */
  deleteProduct(id: string, sellerId: string): Promise<boolean>;
  /**
   * Reserves the lines (distinct, sorted by product id) for an order, all or
   * nothing, and records the outcome: held, with each line's seller, name and
   * price; or failed, naming the first line in id order whose product is
   * unknown or deleted (not_found), else (with `singleSeller`) is of another
   * seller than the first line's (mixed_sellers), else has too few units
   * (insufficient_stock). When the order already has an outcome, returns it
   * and changes nothing.
   */
  reserveStock(
    orderId: string,
    lines: readonly StockLine[],
    options: { readonly singleSeller: boolean },
  ): Promise<Reservation>;
  /**
   * Puts the units held for an order back on the shelf, once. For an order
   * with no reservation it records a released tombstone. Returns the order's
   * reservation afterwards.
   */
  releaseStock(orderId: string): Promise<Reservation>;
}

/** A LIKE pattern matching text that contains `text`, its wildcards taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

// The API's stock is an int32. Only units given back by cancelled orders can
// take a shelf past it (sellers set at most 1e9); such a shelf reads as the
// most the field can say, and every unit stays in the column, ready to sell.
const productColumns = `id, seller_id as "sellerId", name, description, price,
  least(stock, 2147483647)::integer as stock, create_time as "createTime", update_time as "updateTime"`;

/** A read of live products, newest first. */
export interface ProductQuery {
  readonly filter: ProductFilter;
  /** Only these products. */
  readonly ids?: readonly string[];
  /** Only products after this position (keyset paging). */
  readonly after?: Cursor | undefined;
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * The SQL of a product read, with every value bound. A search is planned for
 * its own text on every call (an unnamed statement, `prepare: false`): a cached
 * generic plan cannot tell a rare word from a common one, and would walk the
 * whole newest-first index looking for a rare one. Every other read is
 * prepared once per connection.
 */
export function productQuery(query: ProductQuery): { text: string; values: unknown[]; prepare: boolean } {
  const values: unknown[] = [];
  const bind = (value: unknown) => `$${values.push(value)}`;
  const conditions = ["delete_time is null"];
  const { filter } = query;
  if (filter.sellerId !== undefined) conditions.push(`seller_id = ${bind(filter.sellerId)}::uuid`);
  if (filter.search !== undefined) {
    const pattern = bind(containsPattern(filter.search));
    conditions.push(`(lower(name) like lower(${pattern}) or lower(description) like lower(${pattern}))`);
  }
  if (query.ids !== undefined) conditions.push(`id = any(${bind(query.ids)}::uuid[])`);
  if (query.after !== undefined) {
    const time = bind(query.after.createTime);
    conditions.push(`(create_time, id) < (${time}::timestamptz, ${bind(query.after.id)}::uuid)`);
  }
  let text = `select ${productColumns} from products where ${conditions.join(" and ")}
    order by create_time desc, id desc`;
  if (query.limit !== undefined) text += ` limit ${bind(query.limit)}`;
  if (query.offset !== undefined) text += ` offset ${bind(query.offset)}`;
  return { text, values, prepare: filter.search === undefined };
}

interface ReservationRow {
  status: "held" | "failed" | "released";
  failure_reason: ReservationFailure["reason"] | null;
  failure_product_id: string | null;
  failure_requested: number | null;
  failure_available: number | null;
  hold_time: Date | null;
}

interface StoredHeldLine {
  readonly productId: string;
  readonly sellerId: string;
  readonly name: string;
  readonly unitPrice: string;
  readonly quantity: number;
}

function toReservation(row: ReservationRow, lines: readonly StoredHeldLine[] | null = null): Reservation {
  if (row.status === "held") {
    // jsonb has no 64-bit integers: the function sends prices as decimal strings.
    const held: HeldLine[] = (lines ?? []).map((line) => ({ ...line, unitPrice: BigInt(line.unitPrice) }));
    return { status: "held", lines: held };
  }
  if (row.status === "released") return { status: "released", returned: row.hold_time !== null };
  const productId = row.failure_product_id ?? "";
  const failure: ReservationFailure =
    row.failure_reason === "insufficient_stock"
      ? {
          reason: "insufficient_stock",
          productId,
          requested: row.failure_requested ?? 0,
          available: row.failure_available ?? 0,
        }
      : row.failure_reason === "mixed_sellers"
        ? { reason: "mixed_sellers", productId }
        : { reason: "not_found", productId };
  return { status: "failed", failure };
}

/** The product service's store over a migrated database. */
export function createProductStore(sql: Sql): ProductStore {
  const columns = () => sql.unsafe(productColumns);

  const selectProducts = (query: ProductQuery) => {
    const { text, values, prepare } = productQuery(query);
    return sql.unsafe<ProductRecord[]>(text, values as never[], { prepare });
  };

  return {
    async insertProduct(product) {
      const [row] = await sql<ProductRecord[]>`
        insert into products (id, seller_id, name, description, price, stock)
        values (${product.id}, ${product.sellerId}, ${product.name}, ${product.description},
                ${product.price}, ${product.stock})
        returning ${columns()}`;
      return row as ProductRecord;
    },

    async findProduct(id) {
      const [row] = await sql<ProductRecord[]>`
        select ${columns()} from products where id = ${id} and delete_time is null`;
      return row;
    },

    async findProducts(ids, filter = {}) {
      if (ids.length === 0) return [];
      return selectProducts({ filter, ids });
    },

    async listProducts(filter, page) {
      return selectProducts({ filter, after: page.after, limit: page.size + 1, offset: page.offset });
    },

    async updateProduct(id, sellerId, changes) {
      const [row] = await sql<ProductRecord[]>`
        update products set
          name = coalesce(${changes.name ?? null}, name),
          description = coalesce(${changes.description ?? null}, description),
          price = coalesce(${changes.price ?? null}::bigint, price),
          stock = coalesce(${changes.stock ?? null}::integer, stock),
          update_time = now()
        where id = ${id} and seller_id = ${sellerId} and delete_time is null
        returning ${columns()}`;
      return row;
    },

    async deleteProduct(id, sellerId) {
      const rows = await sql`
        update products set delete_time = now(), update_time = now()
        where id = ${id} and seller_id = ${sellerId} and delete_time is null
        returning 1`;
      return rows.length > 0;
    },

    async reserveStock(orderId, lines, options) {
      // One round trip: the rules run in the reserve_stock function (migration 0003).
      const [row] = await sql<(ReservationRow & { lines: StoredHeldLine[] | null })[]>`
        select (r.outcome).*, r.lines from reserve_stock(
          ${orderId}::uuid,
          ${lines.map((line) => line.productId)}::uuid[],
          ${lines.map((line) => line.quantity)}::integer[],
          ${options.singleSeller}) r`;
      return toReservation(row as ReservationRow, row?.lines);
    },

    async releaseStock(orderId) {
      const [row] = await sql<ReservationRow[]>`select * from release_stock(${orderId}::uuid)`;
      return toReservation(row as ReservationRow);
    },
  };
}
