/** All SQL of the order service. */
import { Code, type ConnectError } from "@connectrpc/connect";
import type { Role } from "@skyros/kit/auth";
import type { Sql } from "@skyros/kit/database";
import { encodeStatus } from "@skyros/kit/grpc-status";
import type { Cursor, Page } from "@skyros/kit/paging";
import type { BuiltOrder, OrderLine, OrderLineInput } from "./order-building.ts";
import type { OrderStatus } from "./order-status.ts";

/** The saga's state of an order's reservation (see the migration). */
export type StockState = "reserving" | "held" | "none" | "releasing" | "released";

export interface OrderRecord {
  readonly id: string;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly status: OrderStatus | "failed";
  readonly stock: StockState;
  readonly description: string;
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  readonly totalPrice: bigint;
  readonly items: readonly OrderLine[];
  /** For failed orders: the gRPC code name and message their request was answered with. */
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  /** For failed orders: that whole answer, details included, as google.rpc.Status bytes. */
  readonly failureStatus: Uint8Array | null;
  readonly createTime: Date;
  readonly updateTime: Date;
}

/** An order as first inserted: reserving, with the requested lines and no seller yet. */
export interface NewOrder {
  readonly id: string;
  readonly buyerId: string;
  readonly description: string;
  readonly destinationAddress: string;
  readonly lines: readonly OrderLineInput[];
}

/** What an order gets from its reservation when it is marked held. */
export interface HeldOrder extends BuiltOrder {
  readonly sourceAddress: string;
}

export interface IdempotencyRecord {
  readonly requestHash: Buffer;
  readonly orderId: string;
}

/** An order whose stock step the recovery loop must finish. */
export interface UnfinishedOrder {
  readonly id: string;
  readonly stock: "reserving" | "releasing";
  /** The lines as requested (product and quantity). */
  readonly lines: readonly OrderLineInput[];
  readonly createTime: Date;
}

export interface ListQuery {
  readonly party: Role;
  readonly userId: string;
  readonly status: OrderStatus | undefined;
  readonly page: Page;
}

export interface OrderStore {
  /** The live (unexpired) record of a buyer's key. */
  findIdempotencyKey(buyerId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Inserts an order as pending and reserving, with its key record when it has
   * one, in one statement. "key-taken": the key is already in use (nothing inserted).
   */
  insertOrder(
    order: NewOrder,
    key: { key: string; requestHash: Buffer; ttlSeconds: number } | undefined,
  ): Promise<{ outcome: "inserted" } | { outcome: "key-taken" }>;
  findOrder(id: string): Promise<OrderRecord | undefined>;
  /**
   * reserving -> held, with the seller, lines and total from the reservation;
   * undefined when the order was not reserving.
   */
  markHeld(id: string, held: HeldOrder): Promise<OrderRecord | undefined>;
  /**
   * reserving -> failed with its stock releasing: the reservation held stock
   * for an order that cannot be placed. Its key stays, so a repeat gets the
   * same answer. False when it was not reserving.
   */
  failHeld(id: string, answer: ConnectError): Promise<boolean>;
  /**
   * reserving -> failed with nothing held, keeping the answer its request got;
   * undefined when the order was not reserving.
   */
  markRefused(id: string, answer: ConnectError): Promise<OrderRecord | undefined>;
  /**
   * Gives up a reservation that never got an answer: the order fails and its
   * stock is to be released (in case the reservation did happen); its key is
   * forgotten, so a retry places a new order. False when it was not reserving.
   */
  giveUp(id: string): Promise<boolean>;
  /**
   * Moves an order of `userId` (as `party`) from `from` to `to` if it is there
   * and holds its stock; with `release`, its stock becomes releasing.
   * Undefined when no such order was in `from`.
   */
  transition(
    id: string,
    party: Role,
    userId: string,
    change: { from: OrderStatus; to: OrderStatus; release: boolean },
  ): Promise<OrderRecord | undefined>;
  /** releasing -> released. */
  markReleased(id: string): Promise<void>;
  /** The visible orders of a buyer or seller, newest first; reads page.size + 1 rows. */
  listOrders(query: ListQuery): Promise<OrderRecord[]>;
  /**
   * Claims up to `limit` orders whose stock step is due, pushing their next
   * attempt one step timeout ahead, so that other replicas skip them meanwhile.
   */
  claimUnfinished(limit: number): Promise<UnfinishedOrder[]>;
  /** Deletes up to `limit` expired keys; returns how many. */
  deleteExpiredKeys(limit: number): Promise<number>;
}

// An order still reserving has no seller yet: "" until it is held.
const orderColumns = `
  id, buyer_id as "buyerId", coalesce(seller_id::text, '') as "sellerId", status, stock, description,
  source_address as "sourceAddress", destination_address as "destinationAddress",
  total_price as "totalPrice", items, failure_code as "failureCode",
  failure_message as "failureMessage", failure_status as "failureStatus", create_time as "createTime", update_time as "updateTime"`;

/** A line in the items column; name and price are absent while the order is reserving. */
interface StoredLine {
  readonly productId: string;
  readonly name?: string;
  readonly unitPrice?: string;
  readonly quantity: number;
}

type OrderRow = Omit<OrderRecord, "items"> & { items: StoredLine[] };

// jsonb has no 64-bit integers: unit prices are kept as decimal strings.
const toStoredLines = (items: readonly OrderLine[]): StoredLine[] =>
  items.map((line) => ({ ...line, unitPrice: line.unitPrice.toString() }));
const fromStoredLines = (items: readonly StoredLine[]): OrderLine[] =>
  items.map((line) => ({
    productId: line.productId,
    name: line.name ?? "",
    unitPrice: BigInt(line.unitPrice ?? 0),
    quantity: line.quantity,
  }));
const toRecord = (row: OrderRow): OrderRecord => ({ ...row, items: fromStoredLines(row.items) });

const visible = "status <> 'failed' and stock <> 'reserving'";

export interface OrderStoreOptions {
  /**
   * How long a stock step (reserve, release) may stay unconfirmed before the
   * recovery loop may repeat it: when an order's next attempt falls due.
   */
  readonly stepTimeoutMs: number;
  /**
   * A pool whose commits need not wait for the disk (by default the main one):
   * it carries only the writes whose loss in a database crash the recovery loop
   * repairs and no client has been told of: a release done (the client was told
   * of the cancellation, which is durable) and scheduling (leases, expired
   * keys). The outcome of a reservation (held, refused) is answered to the
   * client, so it commits durably: lost in a crash, the order would be hidden
   * again, and if the product service then stayed away past the give-up time,
   * a retry with the same Idempotency-Key would place a second order.
   */
  readonly relaxed?: Sql;
}

/** The order service's store over a migrated database. */
export function createOrderStore(sql: Sql, options: OrderStoreOptions): OrderStore {
  const relaxed = options.relaxed ?? sql;
  const columns = sql.unsafe(orderColumns);
  // When a stock step begun now falls due for the recovery loop.
  const stepDue = () => sql`now() + make_interval(secs => ${options.stepTimeoutMs / 1000})`;
  // The answer a failed order's request got: its code name and message, and all of it as a Status.
  const failure = (answer: ConnectError) => sql`
    failure_code = ${Code[answer.code]}, failure_message = ${answer.rawMessage},
    failure_status = ${Buffer.from(encodeStatus(answer))}`;
  const one = async (rows: Promise<OrderRow[]>) => {
    const [row] = await rows;
    return row === undefined ? undefined : toRecord(row);
  };

  return {
    async findIdempotencyKey(buyerId, key) {
      const [row] = await sql<IdempotencyRecord[]>`
        select request_hash as "requestHash", order_id as "orderId" from idempotency_keys
        where buyer_id = ${buyerId} and key = ${key} and expire_time > now()`;
      return row;
    },

    async insertOrder(order, key) {
      const lines: StoredLine[] = order.lines.map(({ productId, quantity }) => ({ productId, quantity }));
      const values = sql`
        ${order.id}::uuid, ${order.buyerId}::uuid, null, 'pending', 'reserving',
        ${order.description}::text, '', ${order.destinationAddress}::text,
        0, ${sql.json(lines as never)}::jsonb, ${stepDue()}`;
      const insertColumns = sql`
        id, buyer_id, seller_id, status, stock, description, source_address, destination_address,
        total_price, items, next_attempt_time`;
      const rows =
        key === undefined
          ? await sql`insert into orders (${insertColumns}) values (${values}) returning 1`
          : // An expired record of the key is taken over; a live one stops the insert.
            await sql`
              with claimed as (
                insert into idempotency_keys (buyer_id, key, request_hash, order_id, expire_time)
                values (${order.buyerId}, ${key.key}, ${key.requestHash}, ${order.id},
                        now() + make_interval(secs => ${key.ttlSeconds}))
                on conflict (buyer_id, key) do update
                  set request_hash = excluded.request_hash, order_id = excluded.order_id,
                      expire_time = excluded.expire_time
                  where idempotency_keys.expire_time <= now()
                returning 1
              )
              insert into orders (${insertColumns})
              select ${values} where exists (select 1 from claimed)
              returning 1`;
      return rows.length === 0 ? { outcome: "key-taken" } : { outcome: "inserted" };
    },

    findOrder: (id) => one(sql<OrderRow[]>`select ${columns} from orders where id = ${id}`),

    // An order placed before orders were built from reservations already has
    // its seller and prices: those are kept.
    markHeld: (id, held) =>
      one(sql<OrderRow[]>`
        update orders set stock = 'held', next_attempt_time = null,
          source_address = case when seller_id is null then ${held.sourceAddress} else source_address end,
          total_price = case when seller_id is null then ${held.totalPrice.toString()}::bigint else total_price end,
          items = case when seller_id is null then ${sql.json(toStoredLines(held.items) as never)}::jsonb else items end,
          seller_id = coalesce(seller_id, ${held.sellerId}::uuid)
        where id = ${id} and stock = 'reserving' returning ${columns}`),

    async failHeld(id, answer) {
      const rows = await sql`
        update orders set status = 'failed', stock = 'releasing', next_attempt_time = ${stepDue()},
          ${failure(answer)}, update_time = now()
        where id = ${id} and stock = 'reserving' returning 1`;
      return rows.length > 0;
    },

    markRefused: (id, answer) =>
      one(sql<OrderRow[]>`
        update orders set status = 'failed', stock = 'none', next_attempt_time = null,
          ${failure(answer)}, update_time = now()
        where id = ${id} and stock = 'reserving' returning ${columns}`),

    async giveUp(id) {
      const rows = await sql`
        with failed as (
          update orders set status = 'failed', stock = 'releasing', next_attempt_time = ${stepDue()},
            failure_code = 'Unavailable', failure_message = 'the order could not be placed', update_time = now()
          where id = ${id} and stock = 'reserving' returning id, buyer_id
        ), forgotten as (
          delete from idempotency_keys k using failed
          where k.buyer_id = failed.buyer_id and k.order_id = failed.id
        )
        select 1 from failed`;
      return rows.length > 0;
    },

    transition: (id, party, userId, change) =>
      one(sql<OrderRow[]>`
        update orders set status = ${change.to}, update_time = now()
          ${change.release ? sql`, stock = 'releasing', next_attempt_time = ${stepDue()}` : sql``}
        where id = ${id} and status = ${change.from} and stock = 'held'
          and ${party === "buyer" ? sql`buyer_id` : sql`seller_id`} = ${userId}
        returning ${columns}`),

    async markReleased(id) {
      await relaxed`
        update orders set stock = 'released', next_attempt_time = null
        where id = ${id} and stock = 'releasing'`;
    },

    async listOrders(query) {
      const { page } = query;
      const cursor: Cursor | undefined = page.after;
      const rows = await sql<OrderRow[]>`
        select ${columns} from orders
        where ${query.party === "buyer" ? sql`buyer_id` : sql`seller_id`} = ${query.userId}
          and ${sql.unsafe(visible)}
          ${query.status === undefined ? sql`` : sql`and status = ${query.status}`}
          ${cursor === undefined ? sql`` : sql`and (create_time, id) < (${cursor.createTime}, ${cursor.id}::uuid)`}
        order by create_time desc, id desc
        limit ${page.size + 1} offset ${page.offset}`;
      return rows.map(toRecord);
    },

    async claimUnfinished(limit) {
      const rows = await relaxed<(Omit<UnfinishedOrder, "lines"> & { items: StoredLine[] })[]>`
        update orders set next_attempt_time = ${stepDue()}
        where id in (
          select id from orders
          where stock in ('reserving', 'releasing') and next_attempt_time <= now()
          order by next_attempt_time
          limit ${limit}
          for update skip locked)
        returning id, stock, items, create_time as "createTime"`;
      return rows.map(({ items, ...row }) => ({
        ...row,
        lines: items.map(({ productId, quantity }) => ({ productId, quantity })),
      }));
    },

    async deleteExpiredKeys(limit) {
      // The oldest first, through the expiry index, and the rows fetched by their
      // ctids: a pass reads only what it deletes. Without the order, and before the
      // table has statistics, the server may scan every live key on every pass.
      const rows = await relaxed`
        delete from idempotency_keys where ctid = any(array(
          select ctid from idempotency_keys where expire_time <= now()
          order by expire_time limit ${limit}))
        returning 1`;
      return rows.length;
    },
  };
}

/** Whether clients may see an order: not failed, and its reservation settled. */
export function isVisible(order: OrderRecord): boolean {
  return order.status !== "failed" && order.stock !== "reserving";
}

/** Whether `userId` may see the order: it is visible, and they are its buyer or its seller. */
export function isVisibleTo(order: OrderRecord | undefined, userId: string): order is OrderRecord {
  return order !== undefined && isVisible(order) && (order.buyerId === userId || order.sellerId === userId);
}
