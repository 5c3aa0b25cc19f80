/**
 * Building request messages from path, query and body, without a server: the
 * route table of the test-only LibraryService and the decoder alone.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create, createRegistry, type Message, toJson } from "@bufbuild/protobuf";
import { buildRoutes, type Route } from "../src/route-table.ts";
import { createRouter } from "../src/router.ts";
import { createResponseEncoder, decodeRequest } from "../src/transcode.ts";
import { LibraryService, ListBooksResponseSchema } from "./gen/skyros/gatewaytest/v1/library_pb.js";

const routes = buildRoutes([{ name: "library", services: [LibraryService] }]);
const router = createRouter(routes);

function decode(method: string, url: string, body?: unknown) {
  const [path = "", search = ""] = url.split("?");
  const match = router.match(method, path);
  if (match.kind !== "found") throw new Error(`no route for ${method} ${path}`);
  const query: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) query[key] = [...(query[key] ?? []), value];
  const message = decodeRequest(match.route, match.bindings, query, body);
  return { route: match.route, json: toJson(match.route.method.input, message as Message) };
}

describe("the route table", () => {
  test("one route per binding of every annotated RPC, none for the others", () => {
    const names = routes.map(
      (route: Route) => `${route.httpMethod} ${route.template.source} ${route.method.name}`,
    );
    assert.deepEqual(names, [
      "GET /v1/{name=shelves/*/books/*} GetBook",
      "GET /v1/books/{name} GetBook",
      "POST /v1/{parent=shelves/*}/books CreateBook",
      "PATCH /v1/shelves/{book.shelf}/books/{book.id} UpdateBook",
      "PUT /v1/shelves/{shelf}/books/{id} PutBook",
      "DELETE /v1/shelves/{shelf}/books/{id} DeleteBook",
      "GET /v1/shelves/{shelf}/books ListBooks",
      "GET /v1/shelves/{shelf}/titles ListBookTitles",
      "POST /v1/shelves/{shelf}/books/{id}:return ReturnBook",
      "GET /v1/files/{path=**} ReadFile",
      "POST /v1/fail Fail",
      "POST /v1/sleep Sleep",
      "GET /v1/whoami WhoAmI",
    ]);
    const whoami = routes.find((route) => route.method.name === "WhoAmI");
    assert.deepEqual(whoami?.auth, { required: true, roles: ["buyer"] });
    assert.deepEqual(routes[0]?.auth, { required: false, roles: [] });
  });
});

describe("query parameters", () => {
  test("scalars, repeated, nested in both spellings, enums, bools and int64", () => {
    const { json } = decode(
      "GET",
      "/v1/shelves/s1/books?page_size=7&ids=a&ids=b&filter.minPages=3&filter.genre=1&availableOnly=1&min_pages=9007199254740993&genres=GENRE_HISTORY",
    );
    assert.deepEqual(json, {
      shelf: "s1",
      pageSize: 7,
      ids: ["a", "b"],
      filter: { minPages: "3", genre: "GENRE_FICTION" },
      availableOnly: true,
      minPages: "9007199254740993",
      genres: ["GENRE_HISTORY"],
    });
  });

  test("a field bound by the path cannot be set from the query", () => {
    assert.deepEqual(decode("GET", "/v1/shelves/s1/books?shelf=s2").json, { shelf: "s1" });
  });

  test("body * takes no query parameters: one naming a field is refused, others are ignored", () => {
    assert.throws(
      () => decode("POST", "/v1/shelves/s/books/b:return?condition=query", { condition: "body" }),
      {
        message: 'field "condition" goes in the request body on this route, not in the query string',
      },
    );
    assert.deepEqual(decode("POST", "/v1/shelves/s/books/b:return?utm=x", { condition: "body" }).json, {
      shelf: "s",
      id: "b",
      condition: "body",
    });
  });

  test("a field of one value given twice is refused, naming it", () => {
    assert.throws(() => decode("GET", "/v1/shelves/s1/books?pageSize=2&pageSize=3"), {
      name: "GatewayError",
      message: 'invalid value for field "pageSize": takes one value, got 2',
    });
  });

  test("a bad number names the field", () => {
    assert.throws(() => decode("GET", "/v1/shelves/s1/books?pageSize=ten"), {
      name: "GatewayError",
      message:
        'invalid value for field "pageSize": expected an integer from -2147483648 to 2147483647, got "ten"',
    });
  });
});

describe("body binding", () => {
  test("a body bound to a field fills that field; the rest comes from path and query", () => {
    const { json } = decode("POST", "/v1/shelves/s1/books?request_note=n", {
      title: "T",
      publish_time: "2020-01-01T00:00:00Z",
    });
    assert.deepEqual(json, {
      parent: "shelves/s1",
      book: { title: "T", publishTime: "2020-01-01T00:00:00Z" },
      requestNote: "n",
    });
  });

  test("a field given in both spellings is a duplicate field, named by its JSON name and path", () => {
    assert.throws(
      () =>
        decode("POST", "/v1/shelves/s1/books", {
          publishTime: "2020-01-01T00:00:00Z",
          publish_time: "2020-01-01T00:00:00Z",
        }),
      { message: 'malformed JSON body: duplicate field "book.publishTime"' },
    );
  });

  test("nested path variables are set inside the body's message, over the body's values", () => {
    const { json } = decode("PATCH", "/v1/shelves/s2/books/b2", { title: "New", id: "other" });
    assert.deepEqual(json, { book: { shelf: "s2", id: "b2", title: "New" } });
  });

  test("no body and an empty body are an empty message", () => {
    assert.deepEqual(decode("PUT", "/v1/shelves/s/books/b").json, { shelf: "s", id: "b" });
    assert.deepEqual(decode("POST", "/v1/fail", undefined).json, {});
  });

  test("a body that is not an object is refused", () => {
    assert.throws(() => decode("PUT", "/v1/shelves/s/books/b", "text"), {
      message: "the request body must be a JSON object",
    });
  });
});

test("response_body sends one field, in proto3 JSON", () => {
  const encodeResponse = createResponseEncoder(routes, createRegistry());
  const route = routes.find((candidate) => candidate.method.name === "ListBookTitles") as Route;
  const message = create(ListBooksResponseSchema, { titles: ["a", "b"], nextPageToken: "n" });
  assert.equal(encodeResponse(route, message), '["a","b"]');
  const whole = routes.find((candidate) => candidate.method.name === "ListBooks") as Route;
  assert.equal(encodeResponse(whole, message), '{"books":[],"titles":["a","b"],"nextPageToken":"n"}');
});
