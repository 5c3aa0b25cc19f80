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
  });
});
