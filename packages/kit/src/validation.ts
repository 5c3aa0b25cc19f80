/**
 * Checks on request fields. Every string is bounded, so no field can make a
 * service do unbounded work. Each failure names the field (lowerCamelCase, as
 * clients spell it).
 */
import { invalidArgument } from "./errors.ts";

export interface TextRule {
  /** Minimum length in characters after trimming; 0 allows empty. */
  readonly min?: number;
  /** Maximum length in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Whether line breaks and tabs are allowed (descriptions, addresses). */
  readonly multiline?: boolean;
}

/**
 * Whether text holds a control character (C0 or C1): they have no place in a
 * name and would be shown to other users as they are. Text of several lines
 * keeps tab, LF and CR.
 */
function hasControlCharacter(text: string, multiline: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && (code < 0x7f || code > 0x9f)) continue;
    if (multiline && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
    return true;
  }
  return false;
}

/**
 * The trimmed text of a field, checked against its rule. NUL characters are
 * refused: PostgreSQL cannot store them in text, so they would fail the write.
 */
export function requireText(value: string, field: string, rule: TextRule): string {
  if (value.includes("\u0000")) throw invalidArgument(field, "must not contain NUL characters");
  const text = value.trim();
  if (hasControlCharacter(text, rule.multiline ?? false)) {
    throw invalidArgument(
      field,
      rule.multiline
        ? "must not contain control characters other than line breaks and tabs"
        : "must not contain control characters or line breaks",
    );
  }
  const min = rule.min ?? 1;
  if (Buffer.byteLength(text, "utf8") > rule.maxBytes) {
    throw invalidArgument(field, `must be at most ${rule.maxBytes} bytes`);
  }
  if (text.length < min) {
    throw invalidArgument(field, min === 1 ? "is required" : `must be at least ${min} characters`);
  }
  return text;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its canonical textual form. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** A resource id field: a UUID, lower-cased. */
export function requireId(value: string, field: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  if (!isUuid(value)) throw invalidArgument(field, "must be a UUID");
  return value.toLowerCase();
}

/** A list of resource ids, each a UUID, at most `max` of them, duplicates removed. */
export function requireIds(values: readonly string[], field: string, max: number): string[] {
  if (values.length > max) throw invalidArgument(field, `must have at most ${max} entries`);
  for (const value of values) if (!isUuid(value)) throw invalidArgument(field, "must be UUIDs");
  return [...new Set(values.map((value) => value.toLowerCase()))];
}

// Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is
// the mail server's to decide.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An email address, trimmed and lower-cased; at most 254 bytes (RFC 5321). */
export function requireEmail(value: string, field = "email"): string {
  const email = requireText(value, field, { maxBytes: 254 }).toLowerCase();
  if (!emailPattern.test(email)) throw invalidArgument(field, "must be an email address");
  return email;
}
