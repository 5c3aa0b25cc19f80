/** The handlers of skyros.product.v1.ProductService, one module per RPC. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import type { ProductContext } from "./context.ts";
import { createProduct } from "./create-product.ts";
import { deleteProduct } from "./delete-product.ts";
import { getProduct } from "./get-product.ts";
import { getProducts } from "./get-products.ts";
import { listProducts } from "./list-products.ts";
import { releaseStock } from "./release-stock.ts";
import { reserveStock } from "./reserve-stock.ts";
import { updateProduct } from "./update-product.ts";

export function createProductHandlers(ctx: ProductContext): ServiceImpl<typeof ProductService> {
  return {
    createProduct: (request, call) => createProduct(ctx, request, call),
    getProduct: (request) => getProduct(ctx, request),
    listProducts: (request, call) => listProducts(ctx, request, call),
    updateProduct: (request, call) => updateProduct(ctx, request, call),
    deleteProduct: (request, call) => deleteProduct(ctx, request, call),
    getProducts: (request) => getProducts(ctx, request),
    reserveStock: (request) => reserveStock(ctx, request),
    releaseStock: (request) => releaseStock(ctx, request),
  };
}
