/** Product records as the messages clients receive, with their sellers' profiles. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Product, ProductSchema } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { type User, UserSchema } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { Logger } from "@skyros/kit/logger";
import { fetchProfiles, type UserDirectory } from "@skyros/kit/user-directory";
import type { ProductRecord } from "./store.ts";

/** A product message; without a profile the seller carries only its id. */
export function toProductMessage(record: ProductRecord, seller?: User): Product {
  return create(ProductSchema, {
    id: record.id,
    name: record.name,
    description: record.description,
    price: record.price,
    stock: record.stock,
    seller: seller ?? create(UserSchema, { id: record.sellerId }),
    createTime: timestampFromDate(record.createTime),
    updateTime: timestampFromDate(record.updateTime),
  });
}

/**
 * Product messages with their sellers' profiles, fetched in one GetUsers call
 * for the whole response. When the user service cannot answer, a read fails
 * with Unavailable; a write that already happened (`afterWrite`) is still
 * reported as done, its seller carrying only its id, so that the client does
 * not repeat it.
 */
export async function withSellers(
  users: UserDirectory,
  logger: Logger,
  records: readonly ProductRecord[],
  afterWrite = false,
): Promise<Product[]> {
  if (records.length === 0) return [];
  let sellers = new Map<string, User>();
  try {
    sellers = await fetchProfiles(
      users,
      records.map((record) => record.sellerId),
      logger,
      "seller profiles",
    );
  } catch (error) {
    if (!afterWrite) throw error;
  }
  return records.map((record) => toProductMessage(record, sellers.get(record.sellerId)));
}
