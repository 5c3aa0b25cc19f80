import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectDomainError } from "../src/testing.ts";
import { isUuid, requireEmail, requireId, requireIds, requireText } from "../src/validation.ts";

const violation = (fn: () => unknown) => expectDomainError(fn, "invalid_argument").message;

describe("validation", () => {
  test("text is trimmed and bounded in bytes", () => {
    assert.equal(requireText("  hi  ", "name", { maxBytes: 10 }), "hi");
    assert.equal(
      violation(() => requireText("   ", "name", { maxBytes: 10 })),
      "name: is required",
    );
    assert.equal(
      violation(() => requireText("ééééé é", "name", { maxBytes: 10 })),
      "name: must be at most 10 bytes",
    );
    assert.equal(requireText("", "note", { min: 0, maxBytes: 10 }), "");
    // PostgreSQL cannot store NUL in text: a client error, not a failed write.
    assert.equal(
      violation(() => requireText("a\u0000b", "note", { min: 0, maxBytes: 10 })),
      "note: must not contain NUL characters",
    );
    for (const bad of ["a\u0001b", "tab\there", "two\nlines", "del\u007f", "c1\u0085"]) {
      assert.equal(
        violation(() => requireText(bad, "name", { maxBytes: 20 })),
        "name: must not contain control characters or line breaks",
        JSON.stringify(bad),
      );
    }
    assert.equal(
      requireText("two\r\nlines\tand a tab", "note", { maxBytes: 40, multiline: true }),
      "two\r\nlines\tand a tab",
    );
    assert.equal(
      violation(() => requireText("bell\u0007", "note", { maxBytes: 20, multiline: true })),
      "note: must not contain control characters other than line breaks and tabs",
    );
    // Formatting characters that right-to-left scripts need are not control characters.
    assert.equal(
      requireText("\u05e9\u05dc\u05d5\u05dd\u200f", "name", { maxBytes: 20 }),
      "\u05e9\u05dc\u05d5\u05dd\u200f",
    );
  });

  test("emails are lower-cased and checked for shape", () => {
    assert.equal(requireEmail(" Ada@Example.COM "), "ada@example.com");
    for (const bad of ["", "ada", "ada@", "ada@example", "a b@example.com", `${"a".repeat(250)}@x.io`]) {
      assert.match(
        violation(() => requireEmail(bad)),
        /^email: /,
        bad,
      );
    }
  });

  test("ids are UUIDs", () => {
    const id = "0B5F3C1E-7D3A-4D8E-9A51-2F6A7C1D9E01";
    assert.ok(isUuid(id));
    assert.equal(requireId(id, "id"), id.toLowerCase());
    assert.equal(
      violation(() => requireId("1; drop table users", "id")),
      "id: must be a UUID",
    );
    assert.deepEqual(requireIds([id, id.toLowerCase()], "ids", 2), [id.toLowerCase()]);
    assert.equal(
      violation(() => requireIds([id, id, id], "ids", 2)),
      "ids: must have at most 2 entries",
    );
    for (const bad of [[""], [id, "x"]]) {
      assert.equal(
        violation(() => requireIds(bad, "ids", 5)),
        "ids: must be UUIDs",
      );
    }
  });
});
