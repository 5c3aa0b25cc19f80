import assert from "node:assert/strict";
import { test } from "node:test";
import { describeJsonError, parseJsonBody } from "../src/json-body.ts";

test("integers past 2^53 keep their digits; other numbers stay numbers", () => {
  assert.deepEqual(
    parseJsonBody(
      '{"price": 9007199254740993, "low": -9223372036854775808, "safe": 9007199254740991, "x": 1.5, "e": 1e300, "s": "12345678901234567890"}',
    ),
    {
      price: "9007199254740993",
      low: "-9223372036854775808",
      safe: 9007199254740991,
      x: 1.5,
      e: 1e300,
      s: "12345678901234567890",
    },
  );
  assert.deepEqual(parseJsonBody('{"items":[{"quantity":2}]}'), { items: [{ quantity: 2 }] });
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
