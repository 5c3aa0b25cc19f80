/**
 * Request bodies as JSON. JSON.parse reads every number as a double, so an
 * int64 written as a JSON number past 2^53 (a price, say) would arrive rounded
 * and be stored as another value without a word. Integers that a double cannot
 * hold are kept as their digits instead, which protobuf's JSON reader takes for
 * every integer field (and refuses, naming the field, where out of range).
 */

/** More digits than any integer a double holds exactly (2^53 has 16). */
const LONG_DIGITS = /\d{16}/;
const INTEGER = /^-?\d+$/;

// The reviver's third argument (JSON.parse source text access) gives the digits as written.
type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const keepExactIntegers: Reviver = (_key, value, context) =>
  typeof value === "number" &&
  !Number.isSafeInteger(value) &&
  context?.source !== undefined &&
  INTEGER.test(context.source)
    ? context.source
    : value;

/** Parses a JSON body; only bodies that hold a long run of digits pay for the reviver. */
export function parseJsonBody(text: string): unknown {
  return LONG_DIGITS.test(text)
    ? JSON.parse(text, keepExactIntegers as (this: unknown, key: string, value: unknown) => unknown)
    : JSON.parse(text);
}

/**
 * The parser's complaint, fit to send back: it quotes the body, which may hold
 * anything (binary from a compressed upload, control characters).
 */
export function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const printable = message.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 200 ? `${printable.slice(0, 200)}...` : printable;
}
