/**
 * What a client should have sent for a field that protobuf's JSON reader
 * refused, in the client's terms (JSON, not JavaScript: "an integer", not
 * "bigint"), with the value it did send.
 */
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

const INTEGER_RANGES: Partial<Record<ScalarType, string>> = {
  [ScalarType.INT32]: "an integer from -2147483648 to 2147483647",
  [ScalarType.SINT32]: "an integer from -2147483648 to 2147483647",
  [ScalarType.SFIXED32]: "an integer from -2147483648 to 2147483647",
  [ScalarType.UINT32]: "an integer from 0 to 4294967295",
  [ScalarType.FIXED32]: "an integer from 0 to 4294967295",
  [ScalarType.INT64]:
    "an integer from -9223372036854775808 to 9223372036854775807 (a number or a decimal string)",
  [ScalarType.SINT64]:
    "an integer from -9223372036854775808 to 9223372036854775807 (a number or a decimal string)",
  [ScalarType.SFIXED64]:
    "an integer from -9223372036854775808 to 9223372036854775807 (a number or a decimal string)",
  [ScalarType.UINT64]: "an integer from 0 to 18446744073709551615 (a number or a decimal string)",
  [ScalarType.FIXED64]: "an integer from 0 to 18446744073709551615 (a number or a decimal string)",
};

function scalarExpected(scalar: ScalarType): string {
  const integer = INTEGER_RANGES[scalar];
  if (integer !== undefined) return integer;
  switch (scalar) {
    case ScalarType.BOOL:
      return "true or false";
    case ScalarType.STRING:
      return "a string";
    case ScalarType.BYTES:
      return "base64 text";
    default:
      return "a number";
  }
}

/** What a value of a message type looks like in JSON (the well-known types have their own forms). */
export function messageExpected(message: DescMessage): string {
  switch (message.typeName) {
    case "google.protobuf.FieldMask":
      return 'a string of comma-separated field paths, such as "name,price"';
    case "google.protobuf.Timestamp":
      return 'an RFC 3339 timestamp, such as "2026-01-02T03:04:05Z"';
    case "google.protobuf.Duration":
      return 'a duration in seconds, such as "1.5s"';
    default:
      return "a JSON object";
  }
}

/** What one element (or the single value) of a field looks like in JSON. */
function elementExpected(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarExpected(field.scalar);
    case "enum":
      return enumExpected(field.enum.values.map((value) => value.name));
    case "message":
      return messageExpected(field.message);
    case "list":
      if (field.listKind === "scalar") return scalarExpected(field.scalar);
      if (field.listKind === "enum") return enumExpected(field.enum.values.map((value) => value.name));
      return messageExpected(field.message);
    case "map":
      return "a JSON object";
  }
}

function enumExpected(names: readonly string[]): string {
  const shown = names.slice(0, 10).join(", ");
  return `one of ${shown}${names.length > 10 ? ", ..." : ""} (or its number)`;
}

/** What the field's JSON value should be. */
export function fieldExpected(field: DescField): string {
  if (field.fieldKind === "list") return `an array whose items are each ${elementExpected(field)}`;
  return elementExpected(field);
}

/**
 * The value protobuf's reader quoted in its complaint, in JSON terms:
 * "expected string, got Array(1)" and "...: 1.5 out of range" quote it last.
 */
export function sentValue(readerMessage: string): string | undefined {
  const got = readerMessage.lastIndexOf(", got ");
  const quoted =
    got >= 0
      ? readerMessage.slice(got + ", got ".length)
      : /: (.+?)(?: out of range)?$/.exec(readerMessage)?.[1];
  if (quoted === undefined) return undefined;
  if (/^Array\(\d+\)$/.test(quoted)) return "an array";
  if (quoted === "object") return "an object";
  return quoted.length > 60 ? `${quoted.slice(0, 60)}...` : quoted;
}

/** "expected <what the field takes>, got <what was sent>". */
export function expectedButGot(expected: string, readerMessage: string): string {
  const sent = sentValue(readerMessage);
  return sent === undefined ? `expected ${expected}` : `expected ${expected}, got ${sent}`;
}
