import assert from "node:assert/strict";
import { test } from "node:test";
import { findDuplicateKey } from "../src/json-duplicate-keys.ts";

test("a name repeated in one object is found, at any depth", () => {
  assert.equal(findDuplicateKey('{"quantity":1,"quantity":100}'), "quantity");
  assert.equal(findDuplicateKey('{"items":[{"productId":"a","quantity":1,"quantity":2}]}'), "quantity");
  assert.equal(findDuplicateKey('{ "a" : { "b" : 1 , "b" : 2 } }'), "b");
  assert.equal(findDuplicateKey('{\n\t"a": 1,\r\n\t"a": 1\n}'), "a");
});

test("names are compared decoded, whatever their escapes", () => {
  assert.equal(findDuplicateKey('{"a":1,"\\u0061":2}'), "a");
  assert.equal(findDuplicateKey('{"say \\"hi\\"":1,"say \\u0022hi\\u0022":2}'), 'say "hi"');
  assert.equal(findDuplicateKey('{"a\\\\":1,"a\\\\":2}'), "a\\");
});

test("the same name in different objects, and strings that look like JSON, are no duplicates", () => {
  assert.equal(findDuplicateKey('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}'), undefined);
  assert.equal(findDuplicateKey('{"a":"\\"a\\":1,","b":"{\\"b\\":[","c":":"}'), undefined);
  assert.equal(findDuplicateKey('{"list":["a","a"],"tags":{"x":"a","y":"a"}}'), undefined);
  for (const text of ['"a"', "[]", "1", "null", '["a", "a"]', "{}"])
    assert.equal(findDuplicateKey(text), undefined);
});

test("over random nested bodies, finds exactly the first repeat in document order", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const names = ["a", "b", "é", 'q"', "a\\", "\u0000x", "{", ":"];
  // A name as JSON text, sometimes with every character escaped, which must not hide a repeat.
  const written = (name: string) =>
    random() < 0.3
      ? `"${[...name].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"`
      : JSON.stringify(name);

  for (let round = 0; round < 3_000; round++) {
    // Built in document order, noting the first name that repeats within its own object.
    let firstRepeat: string | undefined;
    const value = (depth: number): string => {
      const roll = random();
      if (depth > 3 || roll < 0.3) return JSON.stringify(pick(names));
      if (roll < 0.5) {
        return `[${Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1)).join(", ")}]`;
      }
      const seen = new Set<string>();
      const members: string[] = [];
      for (let count = Math.floor(random() * 4); count > 0; count--) {
        const name = pick(names);
        if (seen.has(name) && firstRepeat === undefined) firstRepeat = name;
        seen.add(name);
        members.push(`${written(name)} :${value(depth + 1)}`);
      }
      return `{${members.join(" ,")}}`;
    };
    const text = value(0);
    JSON.parse(text);
    assert.equal(findDuplicateKey(text), firstRepeat, text);
  }
});
