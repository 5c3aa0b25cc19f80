/**
 * The Operations rows and the Limits and protection section of API.md,
 * through the gateway, against the real processes.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { chromium } from "playwright-core";
import { startTestSystem, type TestSystem, uniqueEmail } from "./harness.ts";

let system: TestSystem;
const ORIGIN = "https://shop.example";
const SIGN_IN_LIMIT = 5;

before(async () => {
  system = await startTestSystem({
    GATEWAY_CORS_ORIGINS: ORIGIN,
    GATEWAY_RATE_LIMIT_AUTH_MAX: String(SIGN_IN_LIMIT),
  });
});

after(async () => {
  await system?.destroy();
});

describe("operations", () => {
  test("GET /healthz is 200 while the gateway runs", async () => {
    const response = await system.api("GET", "/healthz");
    assert.deepEqual([response.status, response.body], [200, { status: "ok" }]);
  });

  test("GET /readyz is 200 when every service is SERVING", async () => {
    const response = await system.api("GET", "/readyz");
    const services = system.services.filter((name) => name !== "gateway");
    assert.deepEqual(
      [response.status, response.body],
      [
        200,
        {
          ready: true,
          services: Object.fromEntries(services.map((name) => [name, "SERVING"])),
          notReady: [],
        },
      ],
    );
  });

  test("GET /metrics counts requests, latencies and errors by route template and status", async () => {
    await system.api("GET", "/v1/users/me");
    await system.api("GET", "/.well-known/jwks.json");
    const response = await system.api("GET", "/metrics");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(
      response.text,
      /^http_requests_total\{method="GET",route="\/v1\/users\/me",status="401"\} \d+$/m,
    );
    assert.match(
      response.text,
      /^http_request_errors_total\{method="GET",route="\/v1\/users\/me",status="401"\} \d+$/m,
    );
    assert.match(
      response.text,
      /^http_requests_total\{method="GET",route="\/\.well-known\/jwks\.json",status="200"\} \d+$/m,
    );
    assert.match(
      response.text,
      /^http_request_duration_seconds_count\{method="GET",route="\/v1\/users\/me",status="401"\} \d+$/m,
    );
    assert.match(response.text, /^nodejs_heap_size_used_bytes \d+/m);
  });

  test("GET /openapi.json documents every public route, and is a valid OpenAPI 3 document", async () => {
    const response = await system.api("GET", "/openapi.json");
    assert.equal(response.status, 200);
    const document = response.body;
    assert.equal(document.openapi, "3.0.3");
    assert.equal(document.info.title, "skyros API");
    const routes = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const expected = [
      "POST /v1/users/register/{userType}",
      "POST /v1/users/login",
      "POST /v1/users/refresh",
      "POST /v1/users/logout",
      "GET /v1/users/me",
      "GET /.well-known/jwks.json",
      "POST /v1/products",
      "GET /v1/products/{id}",
      "GET /v1/products",
      "PATCH /v1/products/{id}",
      "DELETE /v1/products/{id}",
      "POST /v1/orders",
      "GET /v1/orders/{orderId}",
      "GET /v1/orders",
      "POST /v1/orders/{orderId}:accept",
      "POST /v1/orders/{orderId}:reject",
      "POST /v1/orders/{orderId}:ship",
      "POST /v1/orders/{orderId}:deliver",
      "POST /v1/orders/{orderId}:cancel",
    ];
    assert.deepEqual([...routes].sort(), [...expected].sort());
    const me = document.paths["/v1/users/me"].get;
    assert.deepEqual(me.security, [{ bearerAuth: [] }]);
    assert.equal(me.operationId, "UserService_GetMe");
    assert.match(me.description, /^GetMe returns the profile of the authenticated caller\./);
    assert.equal(document.paths["/v1/users/login"].post.security, undefined);
    const orderHeaders = document.paths["/v1/orders"].post.parameters.filter(
      (parameter: { in: string }) => parameter.in === "header",
    );
    assert.deepEqual(
      orderHeaders.map((parameter: { name: string; required: boolean }) => [
        parameter.name,
        parameter.required,
      ]),
      [["Idempotency-Key", false]],
    );
    assert.equal(
      document.paths["/v1/orders"].get.parameters.filter((p: { in: string }) => p.in === "header").length,
      0,
    );
    const create = document.paths["/v1/orders"].post;
    assert.match(create.description, /Roles: buyer\./);
    const list = document.paths["/v1/products"].get.parameters.map((p: { name: string }) => p.name);
    for (const name of ["pageSize", "pageToken", "search", "sellerId", "ids", "limit", "offset"]) {
      assert.ok(list.includes(name), name);
    }
    assert.deepEqual(document.components.schemas["skyros.user.v1.TokenPair"].properties.expiresIn, {
      type: "integer",
      format: "int32",
      description: "Lifetime of the access token in seconds.",
    });
    const api = await SwaggerParser.validate(structuredClone(document));
    assert.equal(api.info.title, "skyros API");
  });

  test("GET /docs shows the API in a browser, from the gateway's own files", async () => {
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const foreign: string[] = [];
      const failures: string[] = [];
      // The CSP blocks ReDoc's remote logo: requests may start, none may complete.
      page.on("requestfinished", (request) => {
        if (!request.url().startsWith(system.gatewayUrl) && !request.url().startsWith("blob:")) {
          foreign.push(request.url());
        }
      });
      page.on("pageerror", (error) => failures.push(error.message));
      const response = await page.goto(`${system.gatewayUrl}/docs`);
      assert.equal(response?.status(), 200);
      await page
        .getByRole("heading", { name: /skyros API/ })
        .first()
        .waitFor({ timeout: 30_000 });
      const text = (await page.locator("body").textContent()) ?? "";
      for (const operation of ["Register", "Login", "GetMe", "CreateProduct", "AcceptOrder"]) {
        assert.ok(text.includes(operation), `the docs list ${operation}`);
      }
      mkdirSync(join(import.meta.dirname, "../../test-output"), { recursive: true });
      await page.screenshot({ path: join(import.meta.dirname, "../../test-output/docs.png") });
      assert.deepEqual(foreign, [], "nothing is loaded from elsewhere");
      assert.deepEqual(failures, []);
    } finally {
      await browser.close();
    }
  });
});

describe("limits and protection", () => {
  test("a body over 1 MiB is 413", async () => {
    const response = await system.api("POST", "/v1/users/login", {
      rawBody: JSON.stringify({ email: "a@b.co", password: "x".repeat(1_048_576) }),
    });
    assert.deepEqual(
      [response.status, response.body],
      [413, { code: 3, message: "request body larger than 1048576 bytes", details: [] }],
    );
  });

  test("malformed JSON is 400", async () => {
    const response = await system.api("POST", "/v1/users/refresh", { rawBody: '{"refreshToken": ' });
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 3);
    assert.match(response.body.message, /^malformed JSON body: /);
    assert.deepEqual(response.body.details, []);
  });

  test("an unknown route is 404 and a wrong method 405, both as a google.rpc.Status", async () => {
    const missing = await system.api("GET", "/v1/nothing");
    assert.deepEqual(
      [missing.status, missing.body],
      [404, { code: 5, message: "no route for GET /v1/nothing", details: [] }],
    );
    const wrong = await system.api("DELETE", "/v1/users/me");
    assert.deepEqual(
      [wrong.status, wrong.body],
      [405, { code: 12, message: "method DELETE is not allowed here", details: [] }],
    );
    assert.equal(wrong.headers.get("allow"), "GET");
  });

  test("internal RPCs have no route", async () => {
    for (const path of ["/skyros.user.v1.UserService/GetUsers", "/v1/users"]) {
      const response = await system.api("POST", path, { body: { ids: [] } });
      assert.equal(response.status, 404, path);
    }
  });

  test("security headers on every response", async () => {
    for (const path of ["/healthz", "/v1/users/me", "/nowhere", "/openapi.json"]) {
      const response = await system.api("GET", path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(response.headers.get("x-frame-options"), "DENY", path);
      assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
      assert.ok(response.headers.get("content-security-policy"), path);
      assert.equal(response.headers.get("x-powered-by"), null, path);
    }
  });

  test("CORS: preflight from a configured origin is answered; other origins are not granted", async () => {
    const preflight = await system.api("OPTIONS", "/v1/orders", {
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /idempotency-key/);
    const allowed = await system.api("GET", "/healthz", { headers: { origin: ORIGIN } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(allowed.headers.get("access-control-expose-headers") ?? "", /x-request-id/);
    const other = await system.api("GET", "/healthz", { headers: { origin: "https://elsewhere.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  test("login and register per client address: 429 with Retry-After past the configured limit", async () => {
    for (let i = 0; i < SIGN_IN_LIMIT; i++) {
      const response = await system.api("POST", "/v1/users/login", {
        body: { email: uniqueEmail("limit"), password: "wrong password" },
      });
      assert.equal(response.status, 401);
    }
    const limited = await system.api("POST", "/v1/users/register/buyer", {
      body: { name: "Late", email: uniqueEmail("limit"), password: "correct horse", address: "" },
    });
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get("retry-after") ?? "", /^\d+$/);
    assert.equal(limited.body.code, 8);
    assert.match(limited.body.message, /^too many sign-in attempts from this address; try again in \d+ s$/);
    const other = await system.api("GET", "/.well-known/jwks.json");
    assert.equal(other.status, 200, "other routes are not limited by it");
  });
});

test("GET /readyz is 503 naming a service that is down; its routes are 503; both recover", async () => {
  await system.kill("user");
  const down = await system.api("GET", "/readyz");
  assert.equal(down.status, 503);
  assert.equal(down.body.ready, false);
  assert.deepEqual(down.body.notReady, ["user"]);
  assert.equal(down.body.services.user, "UNREACHABLE");
  const route = await system.api("GET", "/.well-known/jwks.json");
  assert.deepEqual(
    [route.status, route.body],
    [503, { code: 14, message: "service unavailable", details: [] }],
  );
  await system.start("user");
  const up = await system.api("GET", "/readyz");
  assert.equal(up.status, 200);
  assert.equal((await system.api("GET", "/.well-known/jwks.json")).status, 200);
});
