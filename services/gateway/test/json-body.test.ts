import assert from "node:assert/strict";
import { test } from "node:test";
import {
  describeJsonError,
  holdsLargeNumbers,
  LargeNumber,
  parseJsonBody,
  plainNumbers,
} from "../src/json-body.ts";

test("integral numbers past 2^53 keep their text; every other number stays a number", () => {
  const body = parseJsonBody(
    '{"price": 9007199254740993, "low": -9223372036854775808, "e": 9.007199254740993e15, "safe": 9007199254740991, "x": 1.5, "s": "12345678901234567890"}',
  ) as Record<string, unknown>;
  assert.ok(holdsLargeNumbers(body));
  assert.deepEqual(body.price, new LargeNumber("9007199254740993", 9007199254740992));
  assert.deepEqual(body.low, new LargeNumber("-9223372036854775808", -(2 ** 63)));
  assert.deepEqual(body.e, new LargeNumber("9.007199254740993e15", 9007199254740992));
  assert.deepEqual([body.safe, body.x, body.s], [9007199254740991, 1.5, "12345678901234567890"]);
  assert.deepEqual(plainNumbers(body), {
    price: 9007199254740992,
    low: -(2 ** 63),
    e: 9007199254740992,
    safe: 9007199254740991,
    x: 1.5,
    s: "12345678901234567890",
  });

  const small = parseJsonBody('{"items":[{"quantity":2}]}');
  assert.deepEqual(small, { items: [{ quantity: 2 }] });
  assert.equal(holdsLargeNumbers(small), false);
  assert.equal(holdsLargeNumbers(parseJsonBody('{"a":"9.1e20 in a string","b":1}')), false);
  assert.ok(holdsLargeNumbers(parseJsonBody('{"a":[1, 2e20]}')));
  assert.ok(holdsLargeNumbers(parseJsonBody('{"a": -12345678901234567890}')));
});

test("a parse error is described in printable characters, briefly", () => {
  let error: unknown;
  try {
    parseJsonBody(`\u001f\u008b\u0008${"x".repeat(500)}`);
  } catch (caught) {
    error = caught;
  }
  const text = describeJsonError(error);
  assert.match(text, /^[\x20-\x7e]+$/);
  assert.ok(text.length <= 203, String(text.length));
});
