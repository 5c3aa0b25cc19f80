/**
 * Integer fields of a request in JSON form, settled before protobuf's reader
 * runs. proto3 JSON writes an integer as a number or as a string of decimal
 * digits; protobuf-es reads strings with JavaScript's own conversions, which
 * also take "0x10", " 10 " and "+5", and Go's protojson (so grpc-gateway)
 * refuses them: so do we, naming the field. Integers past 2^53 sent as JSON
 * numbers keep their exact digits (json-body.ts).
 */
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { badField } from "./error-body.ts";
import { LargeNumber, plainNumbers } from "./json-body.ts";
import { expectedButGot, fieldExpected } from "./json-field-errors.ts";

const INTEGER_SCALARS = new Set<ScalarType>([
  ScalarType.INT32,
  ScalarType.SINT32,
  ScalarType.SFIXED32,
  ScalarType.UINT32,
  ScalarType.FIXED32,
  ScalarType.INT64,
  ScalarType.SINT64,
  ScalarType.SFIXED64,
  ScalarType.UINT64,
  ScalarType.FIXED64,
]);

const DECIMAL = /^-?\d+$/;

interface Checks {
  /** Integer fields, by both of their JSON spellings. */
  readonly integers: ReadonlyMap<string, DescField>;
  /** Message fields (single or repeated) to look into, by both spellings. */
  readonly messages: ReadonlyMap<string, DescField & { message: DescMessage }>;
}

const checksOf = new WeakMap<DescMessage, Checks>();

function checks(message: DescMessage): Checks {
  const known = checksOf.get(message);
  if (known !== undefined) return known;
  const integers = new Map<string, DescField>();
  const messages = new Map<string, DescField & { message: DescMessage }>();
  for (const field of message.fields) {
    const scalar =
      field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")
        ? field.scalar
        : undefined;
    const nested =
      field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")
        ? field.message
        : undefined;
    for (const name of new Set([field.jsonName, field.name])) {
      if (scalar !== undefined && INTEGER_SCALARS.has(scalar)) integers.set(name, field);
      // Well-known types have JSON forms of their own, checked by the reader.
      if (nested !== undefined && !nested.typeName.startsWith("google.protobuf."))
        messages.set(name, field as DescField & { message: DescMessage });
    }
  }
  const made = { integers, messages };
  checksOf.set(message, made);
  return made;
}

/** A field's JSON path under the message at `prefix`. */
const childPath = (prefix: string, field: DescField) =>
  prefix === "" ? field.jsonName : `${prefix}.${field.jsonName}`;

/** An integer field's value: a decimal string stays, a LargeNumber becomes its digits. */
function integerValue(field: DescField, path: string, item: unknown): unknown {
  if (typeof item === "string" && !DECIMAL.test(item)) {
    throw badField(path, expectedButGot(fieldExpected(field), `: ${JSON.stringify(item)}`));
  }
  if (!(item instanceof LargeNumber)) return item;
  if (DECIMAL.test(item.source)) return item.source;
  // 9.007199254740993e15 names an integer a double cannot hold: refused, not rounded.
  throw badField(
    path,
    `expected ${fieldExpected(field)}, got ${item.source}: past 2^53 write the digits, as a string or a number`,
  );
}

/**
 * Checks and settles the integer fields of `json` (a request in JSON form, as
 * parsed: changed in place): a string must be decimal digits, and with
 * `largeNumbers` (the body held some, see json-body.ts) an integer field takes
 * a LargeNumber's exact digits while any other value takes its double. Throws
 * a 400 naming the first field at fault.
 */
export function settleIntegers(
  message: DescMessage,
  json: unknown,
  largeNumbers: boolean,
  prefix = "",
): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return;
  const { integers, messages } = checks(message);
  if (!largeNumbers && integers.size === 0 && messages.size === 0) return;
  const object = json as Record<string, unknown>;
  for (const [key, value] of Object.entries(object)) {
    const integer = integers.get(key);
    if (integer !== undefined) {
      const path = childPath(prefix, integer);
      object[key] = Array.isArray(value)
        ? value.map((item, index) => integerValue(integer, `${path}[${index}]`, item))
        : integerValue(integer, path, value);
      continue;
    }
    const nested = messages.get(key);
    if (nested !== undefined) {
      // List elements by index, as the services name them (items[1].quantity).
      const path = childPath(prefix, nested);
      if (Array.isArray(value)) {
        value.forEach((item, index) => {
          settleIntegers(nested.message, item, largeNumbers, `${path}[${index}]`);
        });
      } else settleIntegers(nested.message, value, largeNumbers, path);
    } else if (largeNumbers) {
      object[key] = plainNumbers(value);
    }
  }
}
