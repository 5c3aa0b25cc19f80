/** What the order service's handlers and recovery loop work with. */
import type { Logger } from "@skyros/kit/logger";
import type { UserDirectory } from "@skyros/kit/user-directory";
import type { StockService } from "./stock.ts";
import type { OrderStore } from "./store.ts";

export interface OrderContext {
  readonly store: OrderStore;
  readonly stock: StockService;
  readonly users: UserDirectory;
  readonly logger: Logger;
  readonly idempotencyKeyTtlSeconds: number;
}
