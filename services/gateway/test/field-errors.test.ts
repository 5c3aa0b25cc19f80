/**
 * A body protobuf's JSON reader refuses is a 400 that names the field by its
 * JSON path and says, in JSON terms, what it takes and what it got.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { buildRoutes, type Route } from "../src/route-table.ts";
import { decodeRequest } from "../src/transcode.ts";
import { LibraryService } from "./gen/skyros/gatewaytest/v1/library_pb.js";

const routes = buildRoutes([
  { name: "product", services: [ProductService] },
  { name: "order", services: [OrderService] },
]);
const routeOf = (name: string) => routes.find((route) => route.method.name === name) as Route;

const refusal = (name: string, body: unknown, bindings: [string, string][] = []) => {
  try {
    decodeRequest(routeOf(name), new Map(bindings), {}, body);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail(`${name} accepted ${JSON.stringify(body)}`);
};

test("decimal strings are integers; other spellings are refused", () => {
  const message = decodeRequest(routeOf("CreateProduct"), new Map(), {}, { price: "-12", stock: "7" });
  assert.deepEqual([(message as { price?: bigint }).price, (message as { stock?: number }).stock], [-12n, 7]);
});

test("each refusal names the field and says what it takes, in JSON terms", () => {
  const int64 = "an integer from -9223372036854775808 to 9223372036854775807 (a number or a decimal string)";
  const cases: [string, unknown, string][] = [
    ["CreateProduct", { price: 1.5 }, `"price": expected ${int64}, got 1.5`],
    ["CreateProduct", { price: "abc" }, `"price": expected ${int64}, got "abc"`],
    [
      "CreateProduct",
      { stock: 3e9 },
      '"stock": expected an integer from -2147483648 to 2147483647, got 3000000000',
    ],
    ["CreateProduct", { name: ["x"] }, '"name": expected a string, got an array'],
    ["CreateProduct", { name: {} }, '"name": expected a string, got an object'],
    ["CreateOrder", { items: ["x"] }, '"items": expected a JSON object, got "x"'],
    [
      "CreateOrder",
      { items: [{ quantity: "x" }] },
      '"items[0].quantity": expected an integer from -2147483648 to 2147483647, got "x"',
    ],
    [
      "CreateOrder",
      { items: [{ productId: "a" }, { productId: 5 }] },
      '"items[1].productId": expected a string, got 5',
    ],
    [
      "CreateOrder",
      { items: [{ quantity: 1 }, { product_id: "p", quantity: "x" }] },
      '"items[1].quantity": expected an integer from -2147483648 to 2147483647, got "x"',
    ],
  ];
  for (const [rpc, body, expected] of cases) {
    assert.equal(refusal(rpc, body), `invalid value for field ${expected}`, JSON.stringify(body));
  }
  for (const price of ["0x10", " 10 ", "+5", "1e3", ""]) {
    assert.equal(
      refusal("CreateProduct", { price }),
      `invalid value for field "price": expected ${int64}, got ${JSON.stringify(price)}`,
    );
  }
  assert.equal(
    refusal("CreateOrder", {
      items: [
        { productId: "p", quantity: 1 },
        { product_id: "q", quantity: "0x2" },
      ],
    }),
    'invalid value for field "items[1].quantity": expected an integer from -2147483648 to 2147483647, got "0x2"',
  );
  const id = "3f0e5a4e-0000-4000-8000-000000000001";
  assert.equal(
    refusal("UpdateProduct", { updateMask: {} }, [["id", id]]),
    'invalid value for field "updateMask": expected a string of comma-separated field paths, such as "name,price", got an object',
  );
});

test("list items and enums: the field is named and the value quoted once", () => {
  const library = buildRoutes([{ name: "library", services: [LibraryService] }]);
  const create = library.find((route) => route.method.name === "CreateBook") as Route;
  const refuse = (book: unknown) => {
    try {
      decodeRequest(create, new Map([["parent", "shelves/s1"]]), {}, book);
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail(`accepted ${JSON.stringify(book)}`);
  };
  assert.equal(
    refuse({ authors: [1] }),
    'invalid value for field "book.authors": expected an array whose items are each a string, got 1',
  );
  const genre = "one of GENRE_UNSPECIFIED, GENRE_FICTION, GENRE_HISTORY (or its number)";
  assert.equal(refuse({ genre: 1.5 }), `invalid value for field "book.genre": expected ${genre}, got 1.5`);
  assert.equal(
    refuse({ genre: [1] }),
    `invalid value for field "book.genre": expected ${genre}, got an array`,
  );
  // An unknown enum name is ignored like an unknown field, as grpc-gateway's reader does.
  assert.doesNotThrow(() =>
    decodeRequest(create, new Map([["parent", "shelves/s1"]]), {}, { genre: "NOPE" }),
  );
});
