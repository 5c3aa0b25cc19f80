import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { requireProductFields } from "../src/product-input.ts";
import { isEmptyChange, resolveMask, resolveProductChanges } from "../src/product-update.ts";
import { invalidFieldOf } from "./invalid-field.ts";

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
      invalidFieldOf(() => requireProductFields({ ...ok, name: "" })),
      "name",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, name: "€".repeat(67) })),
      "name",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, description: "x".repeat(5001) })),
      "description",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, description: "a\u0000b" })),
      "description",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, price: 0n })),
      "price",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, price: 2n ** 63n })),
      "price",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, stock: -1 })),
      "stock",
    );
    assert.equal(
      invalidFieldOf(() => requireProductFields({ ...ok, stock: 2 ** 31 - 1 })),
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
      invalidFieldOf(() => resolveMask(["seller_id"])),
      "updateMask",
    );
    assert.equal(
      invalidFieldOf(() => resolveMask(["sellerId"])),
      "updateMask",
    );
    assert.equal(
      invalidFieldOf(() => resolveMask(["Name"])),
      "updateMask",
    );
    assert.equal(
      invalidFieldOf(() => resolveMask(Array.from({ length: 17 }, () => "name"))),
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
      invalidFieldOf(() => resolveProductChanges({ maskPaths: ["price"] })),
      "price",
    );
  });

  test("present values are validated", () => {
    assert.equal(
      invalidFieldOf(() => resolveProductChanges({ name: "  " })),
      "name",
    );
    assert.equal(
      invalidFieldOf(() => resolveProductChanges({ stock: -1 })),
      "stock",
    );
  });
});
