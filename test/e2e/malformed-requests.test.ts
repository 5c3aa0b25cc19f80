/**
 * Bad input, generated: several hundred requests to every operation of the
 * gateway's own OpenAPI document, from a fixed seed (so a failure replays;
 * the seed is printed with it).
 * Bodies follow each operation's request schema with values that are often
 * wrong (types, ranges, ids, encodings) and sometimes not JSON at all; paths,
 * queries and headers are mangled alike. Whatever the request, the answer must
 * be a success or a client error, never a 5xx; every error is a
 * google.rpc.Status whose code agrees with the HTTP status; nothing internal
 * leaks into a body; no service logs an error; and at the end every unit of
 * the product the orders aim at is on its shelf or in a live order. Messages
 * generated from each RPC's descriptor go to every service straight over gRPC
 * too (internal RPCs among them, with and without the service credential):
 * none may fail with an error of ours.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type DescField, type DescMessage, type DescMethodUnary, ScalarType } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createGrpcHttp2Transport } from "@skyros/kit/grpc-http2-transport";
import { SERVICE_CREDENTIAL_HEADER } from "@skyros/kit/service-credential";
import { seededRandom } from "@skyros/kit/testing";
import { httpStatusFromCode } from "../../services/gateway/src/http-status.ts";
import { registerUser, startTestSystem, type TestSystem } from "./harness.ts";

/** Another seed or more requests make a longer campaign: SKYROS_BAD_REQUESTS_SEED, SKYROS_BAD_REQUESTS. */
const SEED = positiveInteger("SKYROS_BAD_REQUESTS_SEED", 20261125);
const REQUESTS = positiveInteger("SKYROS_BAD_REQUESTS", 800);
const INITIAL_STOCK = 1_000;
/** The password the generated requests send; no process may ever log it. */
const GENERATED_PASSWORD = "generated-pass-7Qx";
/** Statuses whose Status code is deliberately not the one grpc-gateway's table maps to them. */
const OWN_STATUSES = new Set([405, 413, 415, 422, 431]);
/** What must never reach a client: SQL, driver and runtime internals, password hashes. */
const LEAKS =
  /\b(select|insert into|update \w+ set|delete from)\b|postgres|\bsqlstate\b|\$argon2|\$scrypt|\n\s+at /i;
const LIVE = new Set(["pending", "accepted", "shipped", "delivered"]);

interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
}

interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>
  >;
  readonly components: { readonly schemas: Record<string, Schema> };
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly body: Schema | undefined;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const body = operation.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined;
      return {
        method: method.toUpperCase(),
        path,
        query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
        body: body?.content?.["application/json"]?.schema,
      };
    }),
  );
}

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  if (!/^[1-9]\d{0,8}$/.test(text))
    throw new Error(`${name} must be a positive integer, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** Percent-encodes, and stands in the bytes of a lone surrogate where there is one. */
const encode = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
};

type User = Awaited<ReturnType<typeof registerUser>>;

let system: TestSystem;
/** Whose tokens the requests carry. */
let seller: User;
let buyer: User;
/** A seller the requests never speak for: its product's stock is checked at the end. */
let owner: User;
let ownersProductId: string;
let ownersOrderId: string;
let sellersProductId: string;
let sellersOrderId: string;

async function createProduct(by: User): Promise<string> {
  const product = await system.api("POST", "/v1/products", {
    token: by.token,
    body: { name: "Kettle", description: "steel", price: 2500, stock: INITIAL_STOCK },
  });
  assert.equal(product.status, 200, product.text);
  return product.body.id;
}

async function createOrder(productId: string): Promise<string> {
  const order = await system.api("POST", "/v1/orders", {
    token: buyer.token,
    body: { description: "one", destinationAddress: "2 Elm St", items: [{ productId, quantity: 1 }] },
  });
  assert.equal(order.status, 200, order.text);
  return order.body.id;
}

before(async () => {
  system = await startTestSystem();
  [seller, buyer, owner] = await Promise.all([
    registerUser(system, "seller"),
    registerUser(system, "buyer"),
    registerUser(system, "seller"),
  ]);
  [ownersProductId, sellersProductId] = await Promise.all([createProduct(owner), createProduct(seller)]);
  [ownersOrderId, sellersOrderId] = await Promise.all([
    createOrder(ownersProductId),
    createOrder(sellersProductId),
  ]);
});

after(async () => {
  await system?.destroy();
});

test("generated bad requests to every operation get a client error as a Status, never a 5xx", async () => {
  const document: OpenApiDocument = (await system.api("GET", "/openapi.json")).body;
  const operations = operationsOf(document);
  assert.ok(operations.length >= 15, `only ${operations.length} operations in the document`);
  const { next, pick } = seededRandom(SEED);

  const ids = [ownersProductId, ownersOrderId, sellersProductId, sellersOrderId];
  const texts = [
    "",
    " ",
    "a",
    "é",
    "😀😀",
    "\u0000",
    "\ud800",
    "x".repeat(5_000),
    "null",
    "{}",
    "%",
    "../..",
    ...ids,
  ];
  const junk: unknown[] = [
    ...[null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 64, [], {}, [1], { a: 1 }],
    ...["9223372036854775808", "-9223372036854775809", "1e3", "0x10", " 5", "NaN", "Infinity"],
    ...texts,
  ];
  /**
   * A value of the schema's shape. A near-valid one has every field, with values
   * that often pass, and rarely a wrong one; the others are wrong more often.
   */
  const valueFor = (schema: Schema | undefined, name: string, depth: number, nearValid: boolean): unknown => {
    if (schema?.$ref !== undefined) {
      const target = document.components.schemas[schema.$ref.split("/").pop() as string];
      return valueFor(target, name, depth, nearValid);
    }
    if (schema === undefined || depth > 4 || next() < (nearValid ? 0.02 : 0.1)) return pick(junk);
    if (schema.properties !== undefined) {
      const object: Record<string, unknown> = {};
      for (const [field, fieldSchema] of Object.entries(schema.properties)) {
        if (nearValid || next() < 0.85) object[field] = valueFor(fieldSchema, field, depth + 1, nearValid);
      }
      if (next() < 0.1) object[pick(["__proto__", "constructor", "@type", "unknownField"])] = pick(junk);
      return object;
    }
    if (schema.type === "array") {
      const length = nearValid ? 1 + Math.floor(next() * 2) : Math.floor(next() * 4);
      return Array.from({ length }, () => valueFor(schema.items, name, depth + 1, nearValid));
    }
    if (schema.type === "integer" || schema.type === "number") {
      return nearValid ? pick([1, 2, 3]) : pick([1, 0, -1, 2 ** 31, "4", 2.5]);
    }
    if (schema.type === "boolean") return pick([true, false, "true"]);
    if (/id$/i.test(name)) return nearValid ? ownersProductId : pick([...ids, "", "not-an-id"]);
    // The password goes into password fields only: found in a log, it was logged as a password,
    // not echoed as a field name or a search that happened to hold it.
    if (/password/i.test(name) && nearValid) return GENERATED_PASSWORD;
    return nearValid ? pick(["Lamp", "a@b.co", "1200", "12 Oak Rd"]) : pick(["x".repeat(300), ...texts]);
  };
  const bodyOf = (schema: Schema | undefined, nearValid: boolean) =>
    !nearValid && next() < 0.15
      ? pick(["{", "[", "nul", '{"a":1,"a":2}', '{"name":"\\ud800"}', "1", '"s"', '{"price":1e999}'])
      : JSON.stringify(valueFor(schema, "", 0, nearValid));
  const segment = () =>
    pick([...ids, encode(pick(texts)), pick(["%ZZ", "a%2Fb", "..", "%00", "x".repeat(3_000)])]);

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < REQUESTS; i++) {
    const operation = pick(operations);
    const nearValid = next() < 0.5;
    const method =
      next() < 0.08 ? pick(["PUT", "PATCH", "DELETE", "OPTIONS", "POST", "GET"]) : operation.method;
    let path = operation.path.replace(/\{[^}]+\}/g, segment);
    if (operation.query.length > 0 && next() < 0.8) {
      const pairs = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const name = pick([...operation.query, "x", "page_size"]);
        return `${name}=${encode(String(pick([...junk, "20", "-5", "1000000", "ACCEPTED", "pending"])))}`;
      });
      path += `?${pairs.join("&")}`;
    }
    const headers: Record<string, string> = {};
    const auth = next();
    if (auth < 0.45) headers.authorization = `Bearer ${buyer.token}`;
    else if (auth < 0.72) headers.authorization = `Bearer ${seller.token}`;
    else if (auth < 0.8) {
      headers.authorization = pick([
        "Bearer",
        "Basic abc",
        `Bearer ${buyer.refreshToken}`,
        "Bearer a.b.c",
        `Bearer ${buyer.token}x`,
      ]);
    }
    if (next() < 0.3) headers["idempotency-key"] = pick([`key-${i}`, "", " ", "k".repeat(300), "same"]);
    const hasBody = method !== "GET" && (method !== "DELETE" || next() < 0.1) && next() < 0.95;
    if (hasBody) {
      headers["content-type"] = nearValid
        ? "application/json"
        : pick([
            "application/json",
            "application/json",
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            "text/plain",
            "application/x-www-form-urlencoded",
          ]);
    }
    const response = await system.api(method, path, {
      headers,
      ...(hasBody ? { rawBody: bodyOf(operation.body, nearValid) } : {}),
    });
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const request = `${method} ${path.slice(0, 120)} -> ${response.status} ${response.text.slice(0, 200)}`;
    if (response.status >= 500) failures.push(`5xx: ${request}`);
    if (LEAKS.test(response.text)) failures.push(`leak: ${request}`);
    if (response.status >= 400) {
      const status = response.body as { code?: unknown; message?: unknown; details?: unknown } | undefined;
      if (
        typeof status?.code !== "number" ||
        typeof status.message !== "string" ||
        !Array.isArray(status.details)
      ) {
        failures.push(`not a Status: ${request}`);
      } else if (!OWN_STATUSES.has(response.status) && httpStatusFromCode(status.code) !== response.status) {
        failures.push(`code ${status.code} for HTTP ${response.status}: ${request}`);
      }
    }
  }
  assert.deepEqual(failures, [], `seed ${SEED}`);
  // The requests got past the front door: many were served, many refused by the services' checks.
  const seen = JSON.stringify([...statuses].sort(([a], [b]) => a - b));
  assert.ok((statuses.get(200) ?? 0) >= REQUESTS / 10, `too few successes: ${seen}`);
  assert.ok((statuses.get(400) ?? 0) >= REQUESTS / 8, `too few 400s: ${seen}`);

  for (const name of ["gateway", "user", "product", "order"] as const) {
    const errors = system.logs(name).filter((line) => /"level":(5|6)\d/.test(line));
    assert.deepEqual(errors, [], `${name} logged errors`);
  }
});

test("generated messages to every RPC of every service, over gRPC, never fail with an error of ours", async () => {
  const random = seededRandom(SEED + 1);
  // Not the owner's product: reservations made here have no order, and would upset the count below.
  const ids = [sellersProductId, sellersOrderId, seller.id, buyer.id, "", "not-a-uuid"];
  const texts = ["", "a", "é", "\u0000", "x".repeat(5_000), "12 Oak Rd", "a@b.co", ...ids];
  const scalar = (type: ScalarType): unknown => {
    switch (type) {
      case ScalarType.STRING:
        return random.pick(texts);
      case ScalarType.BOOL:
        return random.next() < 0.5;
      case ScalarType.BYTES:
        return random.bytes(random.int(40));
      case ScalarType.DOUBLE:
      case ScalarType.FLOAT:
        return random.pick([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e308]);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64:
        return random.pick([0n, 1n, -1n, 250n, 2n ** 63n - 1n, -(2n ** 63n)]);
      case ScalarType.UINT64:
      case ScalarType.FIXED64:
        return random.pick([0n, 1n, 250n, 2n ** 64n - 1n]);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return random.pick([0, 1, 3, 2 ** 32 - 1]);
      default:
        return random.pick([0, 1, 3, -1, 2 ** 31 - 1, -(2 ** 31)]);
    }
  };
  const single = (field: DescField, depth: number): unknown => {
    if (field.fieldKind === "enum")
      return random.pick([...field.enum.values.map((value) => value.number), 99, -1]);
    if (field.fieldKind === "message") return messageFor(field.message, depth + 1);
    if (field.fieldKind === "scalar") return scalar(field.scalar);
    return undefined;
  };
  const messageFor = (schema: DescMessage, depth: number): Record<string, unknown> => {
    const init: Record<string, unknown> = {};
    if (depth > 3) return init;
    for (const field of schema.fields) {
      if (random.next() < 0.2) continue;
      if (field.fieldKind === "list") {
        init[field.localName] = Array.from({ length: random.int(4) }, () =>
          field.listKind === "message"
            ? messageFor(field.message, depth + 1)
            : field.listKind === "enum"
              ? random.pick(field.enum.values).number
              : scalar(field.scalar),
        );
      } else {
        init[field.localName] = single(field, depth);
      }
    }
    return init;
  };

  const services = [
    { service: UserService, port: system.ports.user },
    { service: ProductService, port: system.ports.product },
    { service: OrderService, port: system.ports.order },
  ];
  const unexpected: string[] = [];
  const codes = new Map<string, number>();
  for (const { service, port } of services) {
    const transport = createGrpcHttp2Transport({
      baseUrl: `http://127.0.0.1:${port}`,
      defaultTimeoutMs: 10_000,
    });
    try {
      const methods = service.methods.filter((method) => method.methodKind === "unary");
      for (let i = 0; i < 150; i++) {
        const method = random.pick(methods);
        const headers: Record<string, string> = {};
        const auth = random.next();
        if (auth < 0.35) headers.authorization = `Bearer ${buyer.token}`;
        else if (auth < 0.7) headers.authorization = `Bearer ${seller.token}`;
        if (random.next() < 0.5) headers[SERVICE_CREDENTIAL_HEADER] = system.serviceCredential;
        const input = messageFor(method.input, 0);
        let code = "OK";
        try {
          await transport.unary(method as DescMethodUnary, undefined, undefined, headers, input);
        } catch (error) {
          const { code: failed, rawMessage } = ConnectError.from(error);
          code = Code[failed];
          if ([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable].includes(failed)) {
            unexpected.push(`${service.name}.${method.name}: ${code} ${rawMessage}`);
          }
        }
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    } finally {
      transport.close();
    }
  }
  assert.deepEqual(unexpected, [], `seed ${SEED + 1}`);
  const seen = JSON.stringify([...codes]);
  assert.ok((codes.get("OK") ?? 0) >= 20, `too few calls succeeded: ${seen}`);
  assert.ok((codes.get("InvalidArgument") ?? 0) >= 50, `too few refused as invalid: ${seen}`);
  for (const name of ["user", "product", "order"] as const) {
    const errors = system.logs(name).filter((line) => /"level":(5|6)\d/.test(line));
    assert.deepEqual(errors, [], `${name} logged errors`);
  }
});

test("after the generated requests, the product's stock is on its shelf or in live orders", async () => {
  const product = await system.api("GET", `/v1/products/${ownersProductId}`);
  assert.equal(product.status, 200, product.text);
  // The buyer is the only one whose token can place orders.
  let held = 0;
  let orders = 0;
  let pageToken = "";
  do {
    const page = await system.api(
      "GET",
      `/v1/orders?pageSize=100&pageToken=${encodeURIComponent(pageToken)}`,
      { token: buyer.token },
    );
    assert.equal(page.status, 200, page.text);
    for (const order of page.body.result as {
      status: string;
      items: { productId: string; quantity: number }[];
    }[]) {
      const lines = order.items.filter((item) => item.productId === ownersProductId);
      if (lines.length > 0) orders++;
      if (LIVE.has(order.status)) for (const line of lines) held += line.quantity;
    }
    pageToken = page.body.nextPageToken;
  } while (pageToken);
  // Orders of that product were placed (and some cancelled) by the generated requests.
  assert.ok(orders >= 3, `only ${orders} orders of the product`);
  assert.equal(product.body.stock + held, INITIAL_STOCK);
});

test("no process logged a token, a password, a password hash or the service credential", () => {
  const secrets = [
    ...[seller, buyer, owner].flatMap((user) => [user.token, user.refreshToken]),
    "correct horse battery",
    GENERATED_PASSWORD,
    system.serviceCredential,
  ];
  for (const name of ["gateway", "user", "product", "order", "launcher"] as const) {
    const lines = system.logs(name);
    if (name !== "launcher") assert.ok(lines.length > 0, `${name} logged nothing`);
    for (const line of lines) {
      for (const secret of secrets)
        assert.ok(!line.includes(secret), `${name} logged a secret: ${line.slice(0, 300)}`);
      assert.ok(!/\$argon2/.test(line), `${name} logged a password hash`);
    }
  }
});
