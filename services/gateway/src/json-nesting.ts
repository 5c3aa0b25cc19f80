/**
 * Limits on a JSON body's shape, checked before it is parsed. The size limit
 * alone leaves room for a megabyte of `[` or of tiny members, which takes
 * JSON.parse and the decoding after it a second or more of the event loop's
 * time (every other request of this gateway waits), before the route has
 * even checked the caller's token. No request of the API comes near these
 * limits: its deepest body is an order's lines (3 levels) and its largest
 * holds 50 of them.
 */

import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COMMA,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from "./json-characters.ts";

/** The most levels of objects and arrays inside one another. */
export const MAX_JSON_DEPTH = 32;
/** The most values in all the body's objects and arrays together. */
export const MAX_JSON_VALUES = 10_000;

/**
 * Why `text` is refused, or undefined when it is within the limits. It needs
 * no valid JSON (malformed text is JSON.parse's to refuse), and it counts
 * values by their separators, so it takes one pass without allocating.
 */
export function jsonNestingError(text: string): string | undefined {
  let depth = 0;
  let separators = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      // Skip the string; a backslash always escapes the character after it.
      for (at++; at < text.length && text.charCodeAt(at) !== QUOTE; at++) {
        if (text.charCodeAt(at) === BACKSLASH) at++;
      }
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      depth += 1;
      if (depth > MAX_JSON_DEPTH) return `objects and arrays nested more than ${MAX_JSON_DEPTH} deep`;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      depth -= 1;
    } else if (code === COMMA) {
      separators += 1;
      if (separators >= MAX_JSON_VALUES) return `more than ${MAX_JSON_VALUES} values`;
    }
  }
  return undefined;
}
