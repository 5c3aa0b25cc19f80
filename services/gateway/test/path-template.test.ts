import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { matchPathTemplate, PathTemplateError, parsePathTemplate } from "../src/path-template.ts";

const match = (template: string, path: string) => {
  const bindings = matchPathTemplate(parsePathTemplate(template), path);
  return bindings === undefined ? undefined : Object.fromEntries(bindings);
};

describe("parsePathTemplate", () => {
  test("literals, variables, multi-segment variables and a verb", () => {
    const template = parsePathTemplate("/v1/{parent=shelves/*}/books/{book.id}:publish");
    assert.deepEqual(template.segments, [
      { kind: "literal", value: "v1" },
      { kind: "literal", value: "shelves" },
      { kind: "*" },
      { kind: "literal", value: "books" },
      { kind: "*" },
    ]);
    assert.deepEqual(template.variables, [
      { fieldPath: "parent", start: 1, end: 3 },
      { fieldPath: "book.id", start: 4, end: 5 },
    ]);
    assert.equal(template.verb, "publish");
    assert.equal(template.deep, false);
    assert.equal(template.literalCount, 3);
  });

  test("a trailing ** makes a deep template", () => {
    const template = parsePathTemplate("/v1/files/{path=**}");
    assert.equal(template.deep, true);
    assert.deepEqual(template.variables, [{ fieldPath: "path", start: 2, end: 3 }]);
  });

  test("malformed templates are refused", () => {
    for (const bad of ["v1/x", "/v1/{id", "/v1/{1id}", "/v1/**/x", "/v1/{a}/{a}", "/v1/a b"]) {
      assert.throws(() => parsePathTemplate(bad), PathTemplateError, bad);
    }
  });
});

describe("matchPathTemplate", () => {
  test("binds simple and nested field paths", () => {
    assert.deepEqual(match("/v1/shelves/{book.shelf}/books/{book.id}", "/v1/shelves/s1/books/b1"), {
      "book.shelf": "s1",
      "book.id": "b1",
    });
  });

  test("binds a multi-segment variable with its literals", () => {
    assert.deepEqual(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books/b1"), {
      name: "shelves/s1/books/b1",
    });
    assert.equal(match("/v1/{name=shelves/*/books/*}", "/v1/racks/s1/books/b1"), undefined);
  });

  test("** takes the rest of the path, at any depth", () => {
    assert.deepEqual(match("/v1/files/{path=**}", "/v1/files/a/b/c.txt"), { path: "a/b/c.txt" });
    assert.deepEqual(match("/v1/files/{path=**}", "/v1/files/a"), { path: "a" });
  });

  test("decodes percent-escapes in values", () => {
    assert.deepEqual(match("/v1/books/{id}", "/v1/books/a%20b%3Ac"), { id: "a b:c" });
    assert.equal(match("/v1/books/{id}", "/v1/books/%E0%A4%A"), undefined);
  });

  test("a custom verb must be present, and is not part of the last variable", () => {
    assert.deepEqual(match("/v1/orders/{order_id}:accept", "/v1/orders/o1:accept"), { order_id: "o1" });
    assert.equal(match("/v1/orders/{order_id}:accept", "/v1/orders/o1:reject"), undefined);
    assert.equal(match("/v1/orders/{order_id}:accept", "/v1/orders/o1"), undefined);
  });

  test("segment counts, literals and empty segments must agree", () => {
    assert.equal(match("/v1/users/me", "/v1/users/me/x"), undefined);
    assert.equal(match("/v1/users/me", "/v1/users/you"), undefined);
    assert.equal(match("/v1/books/{id}", "/v1/books/"), undefined);
    assert.deepEqual(match("/v1/users/me", "/v1/users/me"), {});
  });
});
