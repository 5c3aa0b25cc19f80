import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonNestingError, MAX_JSON_DEPTH, MAX_JSON_VALUES } from "../src/json-nesting.ts";

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const values = (count: number) => `[${Array.from({ length: count }, () => "1").join(",")}]`;

test("bodies within the limits pass, at the limits too", () => {
  for (const text of ["", "{}", '{"a":[{"b":1}]}', nested(MAX_JSON_DEPTH), values(MAX_JSON_VALUES)])
    assert.equal(jsonNestingError(text), undefined, text.slice(0, 40));
});

test("one level or one value past a limit is refused", () => {
  assert.equal(
    jsonNestingError(nested(MAX_JSON_DEPTH + 1)),
    `objects and arrays nested more than ${MAX_JSON_DEPTH} deep`,
  );
  assert.equal(
    jsonNestingError(`{"a":${'{"a":'.repeat(MAX_JSON_DEPTH)}1${"}".repeat(MAX_JSON_DEPTH + 1)}`),
    `objects and arrays nested more than ${MAX_JSON_DEPTH} deep`,
  );
  assert.equal(jsonNestingError(values(MAX_JSON_VALUES + 1)), `more than ${MAX_JSON_VALUES} values`);
  assert.equal(
    jsonNestingError("[".repeat(1_000_000)),
    `objects and arrays nested more than ${MAX_JSON_DEPTH} deep`,
  );
});

test("brackets and commas inside strings count for nothing, whatever their escapes", () => {
  const inString = JSON.stringify({ a: `${"[{,".repeat(20_000)}\\"[` });
  assert.equal(jsonNestingError(inString), undefined);
  assert.equal(
    jsonNestingError(`["\\\\",${nested(MAX_JSON_DEPTH - 1)}]`),
    undefined,
    "an escaped backslash ends no string",
  );
  assert.equal(jsonNestingError(`["\\"${"[".repeat(40)}"]`), undefined, "an escaped quote ends no string");
});
