/**
 * A gRPC client that is not ours (@grpc/grpc-js, loading the .proto files at run
 * time) can use the user service: proof that it speaks standard gRPC.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createTestDatabase, TEST_SERVICE_CREDENTIAL, testLogger } from "@skyros/kit/testing";
import { readUserConfig } from "../src/config.ts";
import { type RunningUserService, startUserService } from "../src/user-service.ts";

const root = join(import.meta.dirname, "../../..");
const googleProtos = dirname(createRequire(import.meta.url).resolve("google-proto-files/package.json"));

let database: { url: string; drop: () => Promise<void> };
let service: RunningUserService;
// biome-ignore lint/suspicious/noExplicitAny: grpc-js clients are untyped when loaded dynamically
let users: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
let health: any;

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  callback: (error: Error | null, response: unknown) => void,
) => void;

function call<T>(
  client: unknown,
  method: string,
  request: object,
  metadata = new grpc.Metadata(),
): Promise<T> {
  return new Promise((resolve, reject) => {
    const unary = (client as Record<string, UnaryMethod>)[method];
    if (unary === undefined) return reject(new Error(`no method ${method}`));
    unary.call(client, request, metadata, (error, response) =>
      error ? reject(error) : resolve(response as T),
    );
  });
}

before(async () => {
  database = await createTestDatabase("user_interop");
  const config = readUserConfig({ USER_GRPC_PORT: "0", SKYROS_SERVICE_CREDENTIAL: TEST_SERVICE_CREDENTIAL });
  service = await startUserService(config, database.url, testLogger("user"));
  const definition = protoLoader.loadSync(["skyros/user/v1/user.proto", "grpc/health/v1/health.proto"], {
    includeDirs: [join(root, "proto"), googleProtos],
    keepCase: false,
    enums: String,
  });
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const address = `127.0.0.1:${service.port}`;
  users = new loaded.skyros.user.v1.UserService(address, grpc.credentials.createInsecure());
  health = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
});

after(async () => {
  users?.close();
  health?.close();
  await service?.close();
  await database?.drop();
});

test("grpc-js: health check, register, login and me", async () => {
  const status = await call<{ status: string }>(health, "Check", { service: "" });
  assert.equal(status.status, "SERVING");

  const email = `interop.${Date.now()}@example.com`;
  const registered = await call<{ accessToken: string; tokenType: string }>(users, "Register", {
    userType: "seller",
    name: "Grace",
    email,
    password: "a long password",
    address: "2 Harbour Rd",
  });
  assert.equal(registered.tokenType, "Bearer");

  const tokens = await call<{ accessToken: string }>(users, "Login", { email, password: "a long password" });
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${tokens.accessToken}`);
  const me = await call<{ email: string; name: string; type: string }>(users, "GetMe", {}, metadata);
  assert.deepEqual(
    { email: me.email, name: me.name, type: me.type },
    { email, name: "Grace", type: "seller" },
  );

  await assert.rejects(call(users, "GetMe", {}), (error: grpc.ServiceError) => {
    assert.equal(error.code, grpc.status.UNAUTHENTICATED);
    return true;
  });
});
