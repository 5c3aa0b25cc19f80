/**
 * What the product service's tests run against: the real user service and the
 * real product service, each on a scratch database of its own, called over gRPC.
 */
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createDatabase, type Sql } from "@skyros/kit/database";
import { SERVICE_CREDENTIAL_HEADER } from "@skyros/kit/service-credential";
import { createTestDatabase, TEST_SERVICE_CREDENTIAL, testLogger } from "@skyros/kit/testing";
import { startUserService } from "@skyros/user-service";
import { readUserConfig } from "@skyros/user-service/config";
import { readProductConfig } from "../src/config.ts";
import { startProductService } from "../src/product-service.ts";

export interface TestUser {
  readonly id: string;
  readonly token: string;
  readonly name: string;
  readonly email: string;
}

export interface ProductTestSystem {
  readonly products: Client<typeof ProductService>;
  /** Direct access to the product service's database, for checks and bulk data. */
  readonly sql: Sql;
  register(type: "buyer" | "seller"): Promise<TestUser>;
  /** Stops the user service (an outage); close() still cleans up. */
  stopUserService(): Promise<void>;
  close(): Promise<void>;
}

/** Call options that present a user's access token. */
export const as = (user: TestUser | string) => ({
  headers: { authorization: `Bearer ${typeof user === "string" ? user : user.token}` },
});

/** Call options that present the service credential (internal RPCs). */
export const internal = { headers: { [SERVICE_CREDENTIAL_HEADER]: TEST_SERVICE_CREDENTIAL } };

let sequence = 0;

/**
 * Starts the user and product services on scratch databases named after
 * `suite`; `productEnv` adds product-service settings.
 */
export async function startProductTestSystem(
  suite: string,
  productEnv: Record<string, string> = {},
): Promise<ProductTestSystem> {
  const userDatabase = await createTestDatabase(`${suite}_users`);
  const productDatabase = await createTestDatabase(`${suite}_products`);
  const env = { SKYROS_SERVICE_CREDENTIAL: TEST_SERVICE_CREDENTIAL };
  const userService = await startUserService(
    readUserConfig({ ...env, USER_GRPC_PORT: "0" }),
    userDatabase.url,
    testLogger("user"),
  );
  const productService = await startProductService(
    readProductConfig({
      ...env,
      PRODUCT_GRPC_PORT: "0",
      PRODUCT_DATABASE_POOL_MAX: "10",
      USER_SERVICE_URL: `http://127.0.0.1:${userService.port}`,
      ...productEnv,
    }),
    productDatabase.url,
    testLogger("product"),
  );
  const users = createClient(
    UserService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${userService.port}` }),
  );
  let userServiceStopped: Promise<void> | undefined;
  const stopUsers = () => {
    userServiceStopped ??= userService.close();
    return userServiceStopped;
  };
  const sql = createDatabase(productDatabase.url, { maxConnections: 4, applicationName: "product-test" });
  return {
    products: createClient(
      ProductService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${productService.port}` }),
    ),
    sql,
    async register(type) {
      const name = `${type} ${sequence}`;
      const email = `${type}.${process.pid}.${Date.now()}.${sequence++}@example.com`;
      const tokens = await users.register({
        userType: type,
        name,
        email,
        password: "correct horse battery",
        address: "1 Main St",
      });
      const me = await users.getMe({}, as(tokens.accessToken));
      return { id: me.id, token: tokens.accessToken, name, email };
    },
    async stopUserService() {
      await stopUsers();
    },
    async close() {
      await sql.end();
      await productService.close();
      await stopUsers();
      await productDatabase.drop();
      await userDatabase.drop();
    },
  };
}
