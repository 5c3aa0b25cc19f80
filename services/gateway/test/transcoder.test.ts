/**
 * The transcoder end to end: a real gRPC server of the test-only
 * LibraryService and a gateway in front of it, called over HTTP. Every RPC of
 * that contract gets its route from its annotation alone.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GrpcServer } from "@skyros/kit/grpc-server";
import type { RunningGateway } from "../src/gateway.ts";
import { startLibraryServer } from "./library-server.ts";
import { call, createTestTokens, startTestGateway, type TestTokens } from "./test-gateway.ts";

let library: GrpcServer;
let gateway: RunningGateway;
let tokens: TestTokens;

const emptyBook = {
  shelf: "",
  id: "",
  title: "",
  pages: "0",
  genre: "GENRE_UNSPECIFIED",
  available: false,
  authors: [],
  rating: 0,
};

before(async () => {
  library = await startLibraryServer();
  tokens = await createTestTokens();
  gateway = await startTestGateway(`http://127.0.0.1:${library.port}`, tokens);
});

after(async () => {
  await gateway?.close();
  await library?.close();
});

describe("routes from google.api.http", () => {
  test("GET with a multi-segment variable, and an additional binding", async () => {
    const byName = await call(gateway, "GET", "/v1/shelves/s1/books/b1");
    assert.equal(byName.status, 200);
    assert.deepEqual(byName.body, { ...emptyBook, id: "shelves/s1/books/b1" });
    const additional = await call(gateway, "GET", "/v1/books/xyz");
    assert.equal(additional.status, 200);
    assert.deepEqual(additional.body, { ...emptyBook, id: "xyz" });
  });

  test("POST with body bound to one field, the others from path and query", async () => {
    const response = await call(gateway, "POST", "/v1/shelves/s1/books?requestNote=n1&book.title=ignored", {
      body: { title: "Dune", pages: "412", authors: ["Herbert"], unknownField: 1 },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      ...emptyBook,
      shelf: "shelves/s1",
      id: "n1",
      title: "Dune",
      pages: "412",
      authors: ["Herbert"],
    });
  });

  test("PATCH with nested field paths in the template and a field mask from the query", async () => {
    const response = await call(gateway, "PATCH", "/v1/shelves/s2/books/b2?updateMask=title,pages", {
      body: { title: "New", shelf: "overridden by the path" },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { ...emptyBook, shelf: "s2", id: "b2", title: "New|title,pages" });
  });

  test("PUT with body *: both spellings in, path wins, well-known types and int64 in JSON form", async () => {
    const response = await call(gateway, "PUT", "/v1/shelves/s3/books/b3", {
      body: {
        title: "x",
        shelf: "ignored",
        loan_period: "3600s",
        publish_time: "2020-01-02T03:04:05Z",
        pages: 7,
        genre: "GENRE_FICTION",
        rating: 4.5,
      },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      ...emptyBook,
      shelf: "s3",
      id: "b3",
      title: "x",
      pages: "7",
      genre: "GENRE_FICTION",
      rating: 4.5,
      publishTime: "2020-01-02T03:04:05Z",
      loanPeriod: "3600s",
    });
  });

  test("body *: a query parameter naming a field is refused, not dropped; others are ignored", async () => {
    for (const query of ["title=y", "loan_period=60s", "book.title=y"]) {
      const response = await call(gateway, "PUT", `/v1/shelves/s3/books/b3?${query}`, {
        body: { title: "x" },
      });
      if (query.startsWith("book.")) {
        assert.equal(response.status, 200, `${query} names no field of this request`);
        continue;
      }
      const field = query.startsWith("title") ? "title" : "loanPeriod";
      assert.equal(response.status, 400, query);
      assert.equal(
        response.body.message,
        `field "${field}" goes in the request body on this route, not in the query string`,
      );
      assert.equal(response.body.details[0].fieldViolations[0].field, field);
    }
    const redundant = await call(gateway, "PUT", "/v1/shelves/s3/books/b3?id=b3&cache=1", {
      body: { title: "x" },
    });
    assert.equal(
      redundant.status,
      200,
      "a path variable or an unknown parameter in the query is no field of the body",
    );
  });

  test("DELETE without a body", async () => {
    const response = await call(gateway, "DELETE", "/v1/shelves/s3/books/b3");
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {});
  });

  test("query parameters: scalars, repeated, nested, enums by name and number, bools, int64", async () => {
    const query = [
      "pageSize=5",
      "ids=a",
      "ids=b",
      "filter.author=x",
      "filter.min_pages=9",
      "available_only=true",
      "genre=GENRE_HISTORY",
      "minPages=123",
      "min_rating=2.5",
      "genres=GENRE_FICTION",
      "genres=2",
      "shelf=not-the-path",
      "unknown=1",
    ].join("&");
    const response = await call(gateway, "GET", `/v1/shelves/s4/books?${query}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      books: [],
      titles: ["first"],
      nextPageToken: "",
      echo: {
        shelf: "s4",
        pageSize: 5,
        pageToken: "",
        ids: ["a", "b"],
        filter: { author: "x", genre: "GENRE_UNSPECIFIED", minPages: "9" },
        availableOnly: true,
        genre: "GENRE_HISTORY",
        minPages: "123",
        minRating: 2.5,
        genres: ["GENRE_FICTION", "GENRE_HISTORY"],
      },
    });
  });

  test("response_body sends one field of the response", async () => {
    const response = await call(gateway, "GET", "/v1/shelves/s9/titles");
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, ["s9", "second"]);
  });

  test("a custom verb", async () => {
    const response = await call(gateway, "POST", "/v1/shelves/s/books/b:return", {
      body: { condition: "worn" },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { ...emptyBook, shelf: "s", id: "b", title: "worn" });
  });

  test("** captures a path of any depth, percent-decoded", async () => {
    const deep = await call(gateway, "GET", "/v1/files/a/b/c.txt");
    assert.deepEqual([deep.status, deep.body], [200, { path: "a/b/c.txt" }]);
    const escaped = await call(gateway, "GET", "/v1/files/a%20b");
    assert.deepEqual([escaped.status, escaped.body], [200, { path: "a b" }]);
  });
});

describe("bad requests", () => {
  test("a wrong JSON type names the field, nested ones by their JSON path", async () => {
    const top = await call(gateway, "PUT", "/v1/shelves/s/books/b", { body: { title: 5 } });
    assert.equal(top.status, 400);
    const titleMessage = 'invalid value for field "title": expected a string, got 5';
    assert.deepEqual(top.body, {
      code: 3,
      message: titleMessage,
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "title", description: titleMessage }],
        },
      ],
    });
    const nested = await call(gateway, "POST", "/v1/shelves/s/books", { body: { publishTime: "yesterday" } });
    assert.equal(nested.status, 400);
    assert.equal(nested.body.code, 3);
    assert.equal(
      nested.body.message,
      'invalid value for field "book.publishTime": expected an RFC 3339 timestamp, such as "2026-01-02T03:04:05Z" (invalid RFC 3339 string)',
    );
    assert.equal(nested.body.details[0].fieldViolations[0].field, "book.publishTime");
  });

  test("a bad query value names the field", async () => {
    const response = await call(gateway, "GET", "/v1/shelves/s/books?available_only=maybe");
    assert.equal(response.status, 400);
    const message = 'invalid value for field "availableOnly": expected true or false, got "maybe"';
    assert.deepEqual(response.body, {
      code: 3,
      message,
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "availableOnly", description: message }],
        },
      ],
    });
  });

  test("malformed JSON, and a body that is not an object, are 400", async () => {
    const malformed = await call(gateway, "PUT", "/v1/shelves/s/books/b", { rawBody: "{bad" });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 3);
    assert.match(malformed.body.message, /^malformed JSON body: /);
    const array = await call(gateway, "PUT", "/v1/shelves/s/books/b", { body: [1] });
    assert.deepEqual(
      [array.status, array.body],
      [400, { code: 3, message: "the request body must be a JSON object", details: [] }],
    );
  });

  test("an empty body is an empty message", async () => {
    const response = await call(gateway, "POST", "/v1/fail", { rawBody: "" });
    assert.deepEqual([response.status, response.body], [200, {}]);
  });

  test("a body over the limit is 413", async () => {
    const response = await call(gateway, "PUT", "/v1/shelves/s/books/b", {
      rawBody: JSON.stringify({ title: "x".repeat(1_048_577) }),
    });
    assert.equal(response.status, 413);
    assert.deepEqual(response.body, {
      code: 3,
      message: "request body larger than 1048576 bytes",
      details: [],
    });
  });

  test("an unknown route is 404 and a known path with another method is 405, as a Status", async () => {
    const missing = await call(gateway, "GET", "/v1/nothing/here");
    assert.deepEqual(
      [missing.status, missing.body],
      [404, { code: 5, message: "no route for GET /v1/nothing/here", details: [] }],
    );
    const wrong = await call(gateway, "DELETE", "/v1/shelves/s/titles");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET");
    assert.deepEqual(wrong.body, { code: 12, message: "method DELETE is not allowed here", details: [] });
    // The gateway's own pages too, every one of them.
    for (const path of ["/healthz", "/openapi.json", "/docs", "/docs/init.js"]) {
      const own = await call(gateway, "POST", path, { body: {} });
      assert.equal(own.status, 405, path);
      assert.equal(own.headers.get("allow"), "GET", path);
    }
  });

  test("an RPC without an annotation has no route", async () => {
    const response = await call(gateway, "POST", "/skyros.gatewaytest.v1.LibraryService/Internal", {
      body: {},
    });
    assert.equal(response.status, 404);
  });
});
