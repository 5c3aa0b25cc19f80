import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DomainError } from "@skyros/kit/errors";
import { requireProductFields } from "../src/product-input.ts";
import { isEmptyChange, resolveMask, resolveProductChanges } from "../src/product-update.ts";

const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.kind, "invalid_argument");
    return error.field;
  }
  assert.fail("expected an error");
};

describe("product fields", () => {
  test("are trimmed and bounded", () => {
    assert.deepEqual(requireProductFields({ name: " Lamp ", description: " lit ", price: 5n, stock: 0 }), {
      name: "Lamp",
      description: "lit",
      price: 5n,
      stock: 0,
    });
    const ok = { name: "Lamp", description: "", price: 5n, stock: 0 };
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, name: "" })),
      "name",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, name: "€".repeat(67) })),
      "name",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, description: "x".repeat(5001) })),
      "description",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, description: "a\u0000b" })),
      "description",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, price: 0n })),
      "price",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, price: 2n ** 63n })),
      "price",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, stock: -1 })),
      "stock",
    );
    assert.equal(
      fieldOf(() => requireProductFields({ ...ok, stock: 2 ** 31 - 1 })),
      "stock",
    );
  });
});

describe("update masks", () => {
  test("name the updatable fields, and * names them all", () => {
    assert.deepEqual([...resolveMask(["name", "price"])], ["name", "price"]);
    assert.deepEqual([...resolveMask(["*"])], ["name", "description", "price", "stock"]);
  });

  test("refuse unknown paths on updateMask", () => {
    assert.equal(
      fieldOf(() => resolveMask(["seller_id"])),
      "updateMask",
    );
    assert.equal(
      fieldOf(() => resolveMask(["sellerId"])),
      "updateMask",
    );
    assert.equal(
      fieldOf(() => resolveMask(["Name"])),
      "updateMask",
    );
    assert.equal(
      fieldOf(() => resolveMask(Array.from({ length: 17 }, () => "name"))),
      "updateMask",
    );
  });
});

describe("update changes", () => {
  test("without a mask: the fields present", () => {
    assert.deepEqual(resolveProductChanges({ price: 7n }), { price: 7n });
    assert.deepEqual(resolveProductChanges({ description: "", stock: 0 }), { description: "", stock: 0 });
    assert.ok(isEmptyChange(resolveProductChanges({})));
    assert.ok(isEmptyChange(resolveProductChanges({ maskPaths: [] })));
  });

  test("with a mask: exactly the named fields, absent ones taking their defaults", () => {
    assert.deepEqual(resolveProductChanges({ name: "A", price: 7n, maskPaths: ["name"] }), { name: "A" });
    assert.deepEqual(resolveProductChanges({ maskPaths: ["stock", "description"] }), {
      description: "",
      stock: 0,
    });
    assert.equal(
      fieldOf(() => resolveProductChanges({ maskPaths: ["price"] })),
      "price",
    );
  });

  test("present values are validated", () => {
    assert.equal(
      fieldOf(() => resolveProductChanges({ name: "  " })),
      "name",
    );
    assert.equal(
      fieldOf(() => resolveProductChanges({ stock: -1 })),
      "stock",
    );
  });
});
