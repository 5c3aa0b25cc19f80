/**
 * The order service's test bed: the real user, product and order services in
 * this process, each on a scratch database, and clients to call them.
 */
import assert from "node:assert/strict";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createTestDatabase, freePort, TEST_SERVICE_CREDENTIAL, testLogger } from "@skyros/kit/testing";
import { readProductConfig } from "../../product/src/config.ts";
import { startProductService } from "../../product/src/product-service.ts";
import { readUserConfig } from "../../user/src/config.ts";
import { startUserService } from "../../user/src/user-service.ts";
import { readOrderConfig } from "../src/config.ts";
import { startOrderService } from "../src/order-service.ts";

type Running = { port: number; close(): Promise<void> };
type Database = { url: string; drop: () => Promise<void> };

export interface OrderTestBed {
  readonly orders: Client<typeof OrderService>;
  readonly products: Client<typeof ProductService>;
  readonly users: Client<typeof UserService>;
  /** Stops the product service (its port and database are kept for a restart). */
  stopProducts(): Promise<void>;
  startProducts(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the three services; `orderEnv` adds order service variables. */
export async function startOrderTestBed(orderEnv: Record<string, string> = {}): Promise<OrderTestBed> {
  const databases: Database[] = [];
  const database = async (prefix: string) => {
    const created = await createTestDatabase(prefix);
    databases.push(created);
    return created.url;
  };
  const common = { SKYROS_SERVICE_CREDENTIAL: TEST_SERVICE_CREDENTIAL };
  const user = await startUserService(
    readUserConfig({ ...common, USER_GRPC_PORT: "0" }),
    await database("order_test_users"),
    testLogger("user"),
  );
  const userServiceUrl = `http://127.0.0.1:${user.port}`;
  const productPort = await freePort();
  const productDatabase = await database("order_test_products");
  const productConfig = readProductConfig({
    ...common,
    PRODUCT_GRPC_PORT: String(productPort),
    USER_SERVICE_URL: userServiceUrl,
  });
  let product: Running | undefined = await startProductService(
    productConfig,
    productDatabase,
    testLogger("product"),
  );
  const order = await startOrderService(
    readOrderConfig({
      ...common,
      ORDER_GRPC_PORT: "0",
      USER_SERVICE_URL: userServiceUrl,
      PRODUCT_SERVICE_URL: `http://127.0.0.1:${productPort}`,
      ...orderEnv,
    }),
    await database("order_test_orders"),
    testLogger("order"),
  );
  const client = <T extends Parameters<typeof createClient>[0]>(service: T, port: number) =>
    createClient(service, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return {
    orders: client(OrderService, order.port),
    products: client(ProductService, productPort),
    users: client(UserService, user.port),
    async stopProducts() {
      await product?.close();
      product = undefined;
    },
    async startProducts() {
      product ??= await startProductService(productConfig, productDatabase, testLogger("product"));
    },
    async close() {
      await order.close();
      await product?.close();
      await user.close();
      for (const created of databases) await created.drop();
    },
  };
}

let sequence = 0;

/** Registers a user and returns its id and access token. */
export async function registerUser(
  bed: OrderTestBed,
  type: "buyer" | "seller",
  address = `${type} street ${sequence}`,
): Promise<{ id: string; token: string; address: string }> {
  const tokens = await bed.users.register({
    userType: type,
    name: `A ${type}`,
    email: `${type}.${Date.now()}.${sequence++}@example.com`,
    password: "correct horse battery",
    address,
  });
  const me = await bed.users.getMe({}, auth(tokens.accessToken));
  return { id: me.id, token: tokens.accessToken, address };
}

/** Call options that carry an access token (and other headers). */
export function auth(token: string, headers: Record<string, string> = {}) {
  return { headers: { authorization: `Bearer ${token}`, ...headers } };
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
