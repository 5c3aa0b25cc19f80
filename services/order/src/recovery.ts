/**
 * The recovery loop: finishes the stock steps a crash (or a lost answer) left
 * unfinished. Orders reserving past the step timeout are reserved again (held
 * or failed by the answer); one still without an answer after the give-up time
 * fails with its stock released. Orders releasing are released again. Every step is idempotent by
 * order id, so repeating one is always safe, and a claimed order is leased, so
 * replicas running the loop side by side do not work on the same order.
 */
import { releaseStock } from "./change-order.ts";
import type { OrderContext } from "./context.ts";
import { holdOrder } from "./held-order.ts";
import type { UnfinishedOrder } from "./store.ts";

export interface RecoveryOptions {
  readonly intervalMs: number;
  readonly reservationGiveUpMs: number;
  /** Orders claimed per pass. */
  readonly batchSize?: number;
}

export interface Recovery {
  /** One pass over the due orders (and expired keys). */
  runOnce(): Promise<void>;
  /** Stops the loop after the pass in progress. */
  stop(): Promise<void>;
}

/** Starts the loop; its first pass runs at once. */
export function startRecovery(ctx: OrderContext, options: RecoveryOptions): Recovery {
  const batchSize = options.batchSize ?? 100;
  const { store, stock, logger } = ctx;

  const reserve = async (order: UnfinishedOrder) => {
    // Asked first even when the order is old: a reservation held by a request
    // that died before marking it (its client got no 200) is found again here
    // rather than given up.
    const outcome = await stock.reserve(order.id, order.lines);
    if (outcome.kind === "held") await holdOrder(ctx, order.id, order.lines, outcome.products, []);
    else if (outcome.kind === "refused") await store.markRefused(order.id, outcome.error);
    else if (Date.now() - order.createTime.getTime() >= options.reservationGiveUpMs) {
      // Still no answer: the reservation may have happened with its answer lost,
      // so the stock is released before the order counts as failed (a release
      // before any reservation leaves a tombstone, so a late reservation cannot
      // take stock either).
      if (await store.giveUp(order.id)) {
        logger.warn({ orderId: order.id }, "reservation never confirmed; order given up");
        await releaseStock(ctx, order.id);
      }
    }
  };

  const finish = async (order: UnfinishedOrder) => {
    try {
      if (order.stock === "releasing") await releaseStock(ctx, order.id);
      else await reserve(order);
    } catch (error) {
      logger.warn({ err: error, orderId: order.id }, "recovery step failed; it will be retried");
    }
  };

  const runOnce = async () => {
    for (;;) {
      // A claimed order is leased for one stock step's time.
      const claimed = await store.claimUnfinished(batchSize);
      if (claimed.length > 0) logger.info({ orders: claimed.length }, "recovering unfinished stock steps");
      await Promise.all(claimed.map(finish));
      if (claimed.length < batchSize) break;
    }
    await store.deleteExpiredKeys(1000);
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = runOnce()
      .catch((error: unknown) => logger.error({ err: error }, "recovery pass failed"))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  tick();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
