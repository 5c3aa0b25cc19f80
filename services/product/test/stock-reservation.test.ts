import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { requireStockLines } from "../src/stock-reservation.ts";
import { containsPattern } from "../src/store.ts";
import { invalidFieldOf } from "./invalid-field.ts";

const a = "00000000-0000-4000-8000-00000000000a";
const b = "00000000-0000-4000-8000-00000000000b";

describe("stock lines", () => {
  test("are merged by product and sorted by product id", () => {
    assert.deepEqual(
      requireStockLines([
        { productId: b, quantity: 1 },
        { productId: a.toUpperCase(), quantity: 2 },
        { productId: a, quantity: 3 },
      ]),
      [
        { productId: a, quantity: 5 },
        { productId: b, quantity: 1 },
      ],
    );
  });

  test("must be there, with ids and positive quantities", () => {
    assert.equal(
      invalidFieldOf(() => requireStockLines([])),
      "items",
    );
    assert.equal(
      invalidFieldOf(() => requireStockLines([{ productId: a, quantity: 0 }])),
      "items.quantity",
    );
    assert.equal(
      invalidFieldOf(() => requireStockLines([{ productId: "a", quantity: 1 }])),
      "items.productId",
    );
    assert.equal(
      invalidFieldOf(() =>
        requireStockLines([
          { productId: a, quantity: 2 ** 31 - 1 },
          { productId: a, quantity: 1 },
        ]),
      ),
      "items.quantity",
    );
  });
});

describe("search patterns", () => {
  test("take LIKE wildcards and the escape character literally", () => {
    assert.equal(containsPattern("lamp"), "%lamp%");
    assert.equal(containsPattern("100%"), "%100\\%%");
    assert.equal(containsPattern("a_b"), "%a\\_b%");
    assert.equal(containsPattern("c:\\x"), "%c:\\\\x%");
  });
});
