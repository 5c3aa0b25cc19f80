/** What every RPC handler of the product service works with. */
import type { Logger } from "@skyros/kit/logger";
import type { UserDirectory } from "@skyros/kit/user-directory";
import type { ProductStore } from "./store.ts";

export interface ProductContext {
  readonly store: ProductStore;
  /** Token verification and sellers' profiles, from the user service. */
  readonly users: UserDirectory;
  readonly logger: Logger;
}
