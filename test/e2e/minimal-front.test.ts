/**
 * The benchmark's minimal front (bench/minimal-front.ts) stands in for the
 * gateway in one scenario, so its figures compare only if it answers a product
 * read as the gateway does: the same body, byte for byte, and the same headers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { requestJson } from "@skyros/kit/testing";
import { type ServerProcess, startServerProcess } from "../../bench/server-process.ts";
import { registerUser, startTestSystem, type TestSystem } from "./harness.ts";

let system: TestSystem;
let front: ServerProcess;
let productId: string;

before(async () => {
  system = await startTestSystem();
  const seller = await registerUser(system, "seller", { name: "Front Shop" });
  const created = await system.api("POST", "/v1/products", {
    token: seller.token,
    body: { name: 'Kettle "Ünïcode" ☕', description: "steel\nand glass", price: 3999, stock: 12 },
  });
  assert.equal(created.status, 200, created.text);
  productId = created.body.id;
  front = await startServerProcess(
    "minimal front",
    join(import.meta.dirname, "../../bench/minimal-front.ts"),
    {
      FRONT_PRODUCT_URL: `http://127.0.0.1:${system.ports.product}`,
      SKYROS_SERVICE_CREDENTIAL: system.serviceCredential,
    },
    [],
  );
});

after(async () => {
  await front?.stop();
  await system?.destroy();
});

/** The headers both send, without those that differ by request or by time. */
const stableHeaders = (headers: Headers) =>
  Object.fromEntries(
    [...headers].filter(([name]) => !["date", "x-request-id", "keep-alive", "connection"].includes(name)),
  );

test("a product read gets the gateway's body, byte for byte, and its headers", async () => {
  const viaGateway = await system.api("GET", `/v1/products/${productId}`);
  const viaFront = await requestJson(`${front.url}/v1/products/${productId}`, "GET");
  assert.equal(viaGateway.status, 200, viaGateway.text);
  assert.equal(viaFront.status, 200, viaFront.text);
  assert.equal(viaFront.text, viaGateway.text);
  assert.equal(viaFront.body.name, 'Kettle "Ünïcode" ☕');
  // The gateway's CORS headers are the only ones the front leaves out.
  const gatewayHeaders = stableHeaders(viaGateway.headers);
  assert.equal(gatewayHeaders.vary, "Origin");
  delete gatewayHeaders.vary;
  delete gatewayHeaders["access-control-expose-headers"];
  assert.deepEqual(stableHeaders(viaFront.headers), gatewayHeaders);
  assert.match(viaFront.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});

test("a failed call gets the gateway's status for its code; other paths are a 404", async () => {
  const unknown = await requestJson(`${front.url}/v1/products/00000000-0000-4000-8000-000000000000`, "GET");
  assert.equal(unknown.status, 404, unknown.text);
  assert.equal(unknown.body.code, 5);
  const malformed = await requestJson(`${front.url}/v1/products/not-a-uuid`, "GET");
  assert.equal(malformed.status, 400, malformed.text);
  assert.equal(malformed.body.code, 3);
  const other = await requestJson(`${front.url}/v1/orders`, "GET");
  assert.equal(other.status, 404, other.text);
});
