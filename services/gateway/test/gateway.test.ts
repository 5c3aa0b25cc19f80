/**
 * The gateway around the transcoder: errors as google.rpc.Status, deadlines,
 * unreachable services, tokens, metadata forwarding, headers, CORS, rate
 * limits, and the operations endpoints, against the test-only LibraryService.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@skyros/contracts/google/api/annotations_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { GrpcServer } from "@skyros/kit/grpc-server";
import { freePort } from "@skyros/kit/testing";
import type { RunningGateway } from "../src/gateway.ts";
import { LibraryService } from "./gen/skyros/gatewaytest/v1/library_pb.js";
import { startLibraryServer } from "./library-server.ts";
import { call, createTestTokens, startTestGateway, type TestTokens } from "./test-gateway.ts";

let library: GrpcServer;
let gateway: RunningGateway;
let tokens: TestTokens;
let deadUrl: string;

before(async () => {
  library = await startLibraryServer();
  tokens = await createTestTokens();
  deadUrl = `http://127.0.0.1:${await freePort()}`;
  gateway = await startTestGateway(
    `http://127.0.0.1:${library.port}`,
    tokens,
    { GATEWAY_CALL_TIMEOUT_MS: "1500", GATEWAY_CORS_ORIGINS: "https://shop.example" },
    [{ name: "user", url: deadUrl, services: [UserService] }],
  );
});

after(async () => {
  await gateway?.close();
  await library?.close();
});

describe("errors", () => {
  const cases: [code: number, status: number, message: string][] = [
    [0, 200, ""],
    [1, 499, "canceled by the caller"],
    [2, 500, "internal error"],
    [3, 400, "bad argument"],
    [4, 504, "deadline exceeded"],
    [5, 404, "no such book"],
    [6, 409, "already there"],
    [7, 403, "not yours"],
    [8, 429, "slow down"],
    [9, 400, "not in this state"],
    [10, 409, "conflict"],
    [11, 400, "past the end"],
    [12, 501, "not implemented"],
    [13, 500, "internal error"],
    [14, 503, "service unavailable"],
    [15, 500, "internal error"],
    [16, 401, "who are you"],
  ];
  for (const [code, status, message] of cases) {
    test(`gRPC code ${code} is HTTP ${status}`, async () => {
      const response = await call(gateway, "POST", "/v1/fail", {
        body: { code, message: code === 13 ? "SELECT secret FROM db at 10.0.0.7" : message || "unused" },
      });
      assert.equal(response.status, status);
      assert.deepEqual(response.body, code === 0 ? {} : { code, message, details: [] });
    });
  }

  test("details such as google.rpc.BadRequest are sent as Any JSON with @type", async () => {
    const response = await call(gateway, "POST", "/v1/fail", {
      body: { code: 3, message: "title: is required", badField: "title" },
    });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, {
      code: 3,
      message: "title: is required",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "title", description: "title: is required" }],
        },
      ],
    });
  });

  test("a skyros ErrorInfo reason with a status of its own: a reused Idempotency-Key is 422", async () => {
    const response = await call(gateway, "POST", "/v1/fail", {
      body: { code: 9, message: "key reused", reason: "IDEMPOTENCY_KEY_REUSED" },
    });
    assert.equal(response.status, 422);
    assert.deepEqual(response.body, {
      code: 9,
      message: "key reused",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "IDEMPOTENCY_KEY_REUSED",
          domain: "skyros",
        },
      ],
    });
    const other = await call(gateway, "POST", "/v1/fail", {
      body: { code: 9, message: "no", reason: "SOMETHING_ELSE" },
    });
    assert.equal(other.status, 400);
  });

  test("a call past its deadline is 504", async () => {
    const response = await call(gateway, "POST", "/v1/sleep", { body: { millis: 6000 } });
    assert.deepEqual(
      [response.status, response.body],
      [504, { code: 4, message: "deadline exceeded", details: [] }],
    );
  });

  test("an unreachable service is 503 with Retry-After, without its address", async () => {
    const response = await call(gateway, "POST", "/v1/users/login", {
      body: { email: "a@b.co", password: "x" },
    });
    assert.deepEqual(
      [response.status, response.body],
      [503, { code: 14, message: "service unavailable", details: [] }],
    );
    assert.equal(response.headers.get("retry-after"), "1");
    assert.ok(!response.text.includes(deadUrl.split("//")[1] as string));
  });
});

describe("tokens and metadata", () => {
  test("a route that requires a token answers 401 without one", async () => {
    const response = await call(gateway, "GET", "/v1/whoami");
    assert.deepEqual(
      [response.status, response.body],
      [401, { code: 16, message: "missing bearer access token", details: [] }],
    );
  });

  test("a presented token must verify, even where none is required", async () => {
    for (const authorization of ["Bearer not.a.jwt", "Basic abc"]) {
      const response = await call(gateway, "GET", "/v1/books/b1", { headers: { authorization } });
      assert.equal(response.status, 401, authorization);
      assert.equal(response.body.code, 16);
    }
  });

  test("authorization, x-request-id and idempotency-key reach the service", async () => {
    const token = await tokens.sign("buyer");
    const response = await call(gateway, "GET", "/v1/whoami", {
      headers: {
        authorization: `Bearer ${token}`,
        "x-request-id": "req-123.abc",
        "idempotency-key": "key-1",
      },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      authorization: `Bearer ${token}`,
      requestId: "req-123.abc",
      idempotencyKey: "key-1",
    });
    assert.equal(response.headers.get("x-request-id"), "req-123.abc");
  });

  test("a missing or unsafe x-request-id is replaced by a generated one", async () => {
    const token = await tokens.sign("buyer");
    for (const headers of [{}, { "x-request-id": "bad id\twith spaces" }] as Record<string, string>[]) {
      const response = await call(gateway, "GET", "/v1/whoami", {
        headers: { ...headers, authorization: `Bearer ${token}` },
      });
      const id = response.headers.get("x-request-id") ?? "";
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal(response.body.requestId, id);
    }
  });
});

describe("headers", () => {
  test("security headers on every response, and no x-powered-by", async () => {
    for (const path of ["/v1/books/b1", "/v1/nothing", "/healthz"]) {
      const response = await call(gateway, "GET", path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(response.headers.get("x-frame-options"), "DENY", path);
      assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
      assert.equal(
        response.headers.get("content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'",
      );
      assert.equal(response.headers.get("x-powered-by"), null);
      assert.ok(response.headers.get("x-request-id"));
    }
  });

  test("CORS: a configured origin's preflight is answered; other origins get no grant", async () => {
    const preflight = await call(gateway, "OPTIONS", "/v1/books/b1", {
      headers: { origin: "https://shop.example", "access-control-request-method": "GET" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://shop.example");
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /PATCH/);
    const other = await call(gateway, "GET", "/v1/books/b1", { headers: { origin: "https://evil.example" } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });
});

describe("operations", () => {
  test("healthz and readyz", async () => {
    const health = await call(gateway, "GET", "/healthz");
    assert.deepEqual([health.status, health.body], [200, { status: "ok" }]);
    const ready = await call(gateway, "GET", "/readyz");
    assert.deepEqual(
      [ready.status, ready.body],
      [200, { ready: true, services: { library: "SERVING" }, notReady: [] }],
    );
  });

  test("readyz is 503 naming a required service that does not answer", async () => {
    const strict = await startTestGateway(
      `http://127.0.0.1:${library.port}`,
      tokens,
      {},
      [{ name: "user", url: deadUrl, services: [UserService] }],
      ["library", "user"],
    );
    try {
      const ready = await call(strict, "GET", "/readyz");
      assert.deepEqual(
        [ready.status, ready.body],
        [503, { ready: false, services: { library: "SERVING", user: "UNREACHABLE" }, notReady: ["user"] }],
      );
    } finally {
      await strict.close();
    }
  });

  test("metrics count requests by route template and status", async () => {
    await call(gateway, "GET", "/v1/shelves/s1/books/b1");
    await call(gateway, "GET", "/v1/nowhere");
    const metrics = await call(gateway, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(
      metrics.text,
      /^http_requests_total\{method="GET",route="\/v1\/\{name=shelves\/\*\/books\/\*\}",status="200"\} \d+$/m,
    );
    assert.match(
      metrics.text,
      /^http_request_errors_total\{method="GET",route="unmatched",status="404"\} \d+$/m,
    );
    assert.match(metrics.text, /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route=/m);
    assert.match(metrics.text, /^process_cpu_user_seconds_total /m);
    assert.ok(!metrics.text.includes("/v1/shelves/s1/books/b1"), "raw URLs are not labels");
    // A body that fails to parse is still counted under its route.
    await call(gateway, "POST", "/v1/shelves/s1/books", { rawBody: "{bad" });
    const after = await call(gateway, "GET", "/metrics");
    assert.match(
      after.text,
      /^http_request_errors_total\{method="POST",route="\/v1\/\{parent=shelves\/\*\}\/books",status="400"\} \d+$/m,
    );
  });

  test("metrics count each request once, in its own series", async () => {
    const series = 'method="GET",route="/v1/{name=shelves/*/books/*}",status="200"';
    const read = async () => {
      const text = (await call(gateway, "GET", "/metrics")).text;
      const value = (name: string) =>
        Number(
          text.match(new RegExp(`^${name}\\{${series.replace(/[{}*/]/g, "\\$&")}\\} (\\d+)$`, "m"))?.[1] ?? 0,
        );
      return {
        requests: value("http_requests_total"),
        errors: value("http_request_errors_total"),
        timed: value("http_request_duration_seconds_count"),
      };
    };
    const before = await read();
    await call(gateway, "GET", "/v1/shelves/s1/books/b1");
    await call(gateway, "GET", "/v1/shelves/s1/books/b2");
    await call(gateway, "GET", "/v1/nowhere");
    const after = await read();
    assert.deepEqual(
      { requests: after.requests - before.requests, errors: after.errors, timed: after.timed - before.timed },
      { requests: 2, errors: 0, timed: 2 },
    );
  });

  test("every annotated RPC has an OpenAPI operation, and the document is valid", async () => {
    const response = await call(gateway, "GET", "/openapi.json");
    assert.equal(response.status, 200);
    const document = response.body;
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item as object));
    const ids = new Set(operations.map((operation) => operation.operationId));
    for (const method of LibraryService.methods) {
      const annotated = hasOption(method, http);
      assert.equal(ids.has(`LibraryService_${method.name}`), annotated, method.name);
      if (annotated) {
        getOption(method, http).additionalBindings.forEach((_binding, index) => {
          assert.ok(ids.has(`LibraryService_${method.name}_${index + 1}`));
        });
      }
    }
    await SwaggerParser.validate(structuredClone(document));
  });

  test("the OpenAPI document carries parameters, bodies, comments, errors and bearer auth", async () => {
    const { body: document } = await call(gateway, "GET", "/openapi.json");
    const list = document.paths["/v1/shelves/{shelf}/books"].get;
    assert.equal(list.description, "ListBooks lists a shelf's books, filtered by query parameters.");
    const names = list.parameters.map(
      (parameter: { name: string; in: string }) => `${parameter.in}:${parameter.name}`,
    );
    assert.ok(names.includes("path:shelf"));
    for (const query of ["pageSize", "ids", "filter.author", "filter.minPages", "availableOnly", "genres"]) {
      assert.ok(names.includes(`query:${query}`), query);
    }
    assert.ok(!names.includes("query:shelf"), "path fields are not query parameters");
    const update = document.paths["/v1/shelves/{book.shelf}/books/{book.id}"].patch;
    assert.deepEqual(update.requestBody.content["application/json"].schema, {
      $ref: "#/components/schemas/skyros.gatewaytest.v1.Book",
    });
    const whoami = document.paths["/v1/whoami"].get;
    assert.deepEqual(whoami.security, [{ bearerAuth: [] }]);
    assert.equal(list.security, undefined);
    assert.deepEqual(document.components.securitySchemes.bearerAuth, {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    assert.deepEqual(whoami.responses.default.content["application/json"].schema, {
      $ref: "#/components/schemas/google.rpc.Status",
    });
    const book = document.components.schemas["skyros.gatewaytest.v1.Book"];
    assert.equal(book.description, "A book on a shelf.");
    assert.deepEqual(book.properties.pages, { type: "string", format: "int64" });
    assert.deepEqual(book.properties.title, { type: "string", description: "The book's title." });
    assert.deepEqual(book.properties.publishTime, { type: "string", format: "date-time" });
    assert.deepEqual(document.components.schemas["skyros.gatewaytest.v1.Genre"].enum, [
      "GENRE_UNSPECIFIED",
      "GENRE_FICTION",
      "GENRE_HISTORY",
    ]);
    const titles = document.paths["/v1/shelves/{shelf}/titles"].get;
    assert.deepEqual(titles.responses["200"].content["application/json"].schema, {
      type: "array",
      items: { type: "string" },
    });
  });

  test("the docs page and its scripts are served by the gateway", async () => {
    const page = await call(gateway, "GET", "/docs");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.text, /<script src="\/docs\/redoc\.standalone\.js"><\/script>/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const bundle = await call(gateway, "GET", "/docs/redoc.standalone.js");
    assert.equal(bundle.status, 200);
    assert.ok(bundle.text.length > 100_000);
  });
});

describe("the client address the per-address limits count by", () => {
  const booksFrom = async (gateway: RunningGateway, forwardedFor: readonly string[]) => {
    const statuses: number[] = [];
    for (const header of forwardedFor) {
      statuses.push(
        (await call(gateway, "GET", "/v1/books/b1", { headers: { "x-forwarded-for": header } })).status,
      );
    }
    return statuses;
  };
  const withGateway = async (trust: string, check: (gateway: RunningGateway) => Promise<void>) => {
    const limited = await startTestGateway(`http://127.0.0.1:${library.port}`, tokens, {
      GATEWAY_RATE_LIMIT_GENERAL_MAX: "2",
      GATEWAY_TRUST_PROXY: trust,
    });
    try {
      await check(limited);
    } finally {
      await limited.close();
    }
  };

  test("by default X-Forwarded-For is ignored: every request counts against the peer", async () => {
    await withGateway("false", async (limited) => {
      assert.deepEqual(
        await booksFrom(limited, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]),
        [200, 200, 429],
      );
    });
  });

  test("behind listed proxies, entries a client wrote before the proxy's cannot dodge the limit", async () => {
    // The test's requests come from loopback, standing in for the proxy, which
    // appended the address it saw (203.0.113.7) to what the client sent.
    await withGateway("10.0.0.0/8, loopback", async (limited) => {
      const spoofed = ["198.51.100.1, 203.0.113.7", "198.51.100.2, 203.0.113.7", "198.51.100.3,203.0.113.7"];
      assert.deepEqual(await booksFrom(limited, spoofed), [200, 200, 429]);
      // Through a second trusted proxy, the same client is still the same client.
      assert.deepEqual(await booksFrom(limited, ["198.51.100.4, 203.0.113.7, 10.1.2.3"]), [429]);
      assert.deepEqual(
        await booksFrom(limited, ["203.0.113.8", "203.0.113.8"]),
        [200, 200],
        "another client",
      );
    });
  });

  test("a peer that is not a listed proxy is the client, whatever it forwards", async () => {
    await withGateway("10.0.0.0/8", async (limited) => {
      assert.deepEqual(
        await booksFrom(limited, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]),
        [200, 200, 429],
      );
    });
  });

  test("true takes the leftmost entry: only safe behind a proxy that replaces the header", async () => {
    await withGateway("true", async (limited) => {
      assert.deepEqual(
        await booksFrom(limited, ["198.51.100.1, 203.0.113.7", "198.51.100.2, 203.0.113.7"]),
        [200, 200],
      );
      assert.deepEqual(await booksFrom(limited, ["198.51.100.1", "198.51.100.1"]), [200, 429]);
    });
  });
});

test("the general per-address limit answers 429 with Retry-After once over", async () => {
  const limited = await startTestGateway(`http://127.0.0.1:${library.port}`, tokens, {
    GATEWAY_RATE_LIMIT_GENERAL_MAX: "3",
  });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await call(limited, "GET", "/v1/books/b1")).status, 200);
    const over = await call(limited, "GET", "/v1/books/b1");
    assert.equal(over.status, 429);
    assert.match(over.headers.get("retry-after") ?? "", /^\d+$/);
    assert.equal(over.body.code, 8);
    assert.match(over.body.message, /^too many requests; try again in \d+ s$/);
    assert.deepEqual(over.body.details, []);
    assert.equal((await call(limited, "GET", "/healthz")).status, 200, "probes are not limited");
    assert.equal((await call(limited, "GET", "/readyz?verbose=1")).status, 200, "with a query string too");
  } finally {
    await limited.close();
  }
});
