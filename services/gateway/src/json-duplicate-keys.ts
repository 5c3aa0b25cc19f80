/**
 * Repeated member names in a JSON object. JSON.parse keeps the last of them
 * without a word, so `{"quantity": 1, "quantity": 100}` would mean whatever the
 * last one says, while a proxy or log in front of us may have read the first.
 * grpc-gateway's JSON reader (protojson) refuses such a body, and so do we.
 */

import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from "./json-characters.ts";

const isWhitespace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * The first member name that appears twice in one object of `text`, decoded,
 * or undefined. `text` must be valid JSON (parse it first): the scan relies on it.
 */
export function findDuplicateKey(text: string): string | undefined {
  // The names seen in each open object; null stands for an open array.
  const containers: (Set<string> | null)[] = [];
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === OPEN_OBJECT) containers.push(new Set());
    else if (code === OPEN_ARRAY) containers.push(null);
    else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) containers.pop();
    else if (code === QUOTE) {
      const start = at;
      let escaped = false;
      for (at++; text.charCodeAt(at) !== QUOTE; at++) {
        // Valid JSON has a character after every backslash, and it may be a quote.
        if (text.charCodeAt(at) === BACKSLASH) {
          escaped = true;
          at++;
        }
      }
      const names = containers.at(-1);
      if (names === undefined || names === null) continue;
      let next = at + 1;
      while (isWhitespace(text.charCodeAt(next))) next++;
      // In an object, a string followed by a colon is a member name; any other is a value.
      if (text.charCodeAt(next) !== COLON) continue;
      const name = escaped ? (JSON.parse(text.slice(start, at + 1)) as string) : text.slice(start + 1, at);
      if (names.has(name)) return name;
      names.add(name);
    }
  }
  return undefined;
}
