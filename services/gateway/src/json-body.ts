/**
 * Request bodies as JSON. JSON.parse reads every number as a double, so an
 * int64 written as a JSON number past 2^53 (a price, say) would arrive rounded
 * and be stored as another value without a word. Such numbers are kept as
 * LargeNumber (their text and their double); once the request's schema is
 * known, an integer field takes the exact digits, and any other field the
 * double, as JSON.parse would have given it (json-integers.ts).
 */

/** A JSON number whose double is an integer past 2^53: its text as written, and that double. */
export class LargeNumber {
  readonly source: string;
  readonly value: number;

  constructor(source: string, value: number) {
    this.source = source;
    this.value = value;
  }
}

/**
 * Bodies that may hold such numbers: a value (after ":", "," or "[") that
 * starts with 16 digits (2^53 has 16), has an exponent, or a long fraction.
 * Only these pay for the reviver; ids such as "3f0e5a4e-..." do not match.
 */
const MAY_HOLD_LARGE_NUMBERS = /[:,[]\s*-?(?:\d{16}|\d+(?:\.\d*)?[eE]|\d+\.\d{15})/;

const bodiesWithLargeNumbers = new WeakSet<object>();

// The reviver's third argument (JSON.parse source text access) gives the number as written.
type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/** Parses a JSON body, keeping integers past 2^53 as LargeNumber. */
export function parseJsonBody(text: string): unknown {
  if (!MAY_HOLD_LARGE_NUMBERS.test(text)) return JSON.parse(text);
  let found = false;
  const keepLarge: Reviver = (_key, value, context) => {
    if (typeof value !== "number" || !Number.isInteger(value) || Number.isSafeInteger(value)) return value;
    found = true;
    return new LargeNumber(context?.source ?? String(value), value);
  };
  const body: unknown = JSON.parse(
    text,
    keepLarge as (this: unknown, key: string, value: unknown) => unknown,
  );
  if (found && typeof body === "object" && body !== null) bodiesWithLargeNumbers.add(body);
  return body;
}

/** Whether a parsed body holds LargeNumber values. */
export function holdsLargeNumbers(body: unknown): boolean {
  return typeof body === "object" && body !== null && bodiesWithLargeNumbers.has(body);
}

/** The value with every LargeNumber in it back to its double. */
export function plainNumbers(value: unknown): unknown {
  if (value instanceof LargeNumber) return value.value;
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainNumbers(item)]));
  }
  return value;
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
