/**
 * proto3 JSON writes an integer field as a number or as a string of decimal
 * digits. protobuf-es reads such strings with JavaScript's own conversions,
 * which also take "0x10", " 10 " and "+5"; Go's protojson, and so
 * grpc-gateway, refuse them. This check refuses them too, before the reader
 * runs, naming the field.
 */
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { badField } from "./error-body.ts";
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

/** Throws a 400 naming the first integer field of `json` given as a non-decimal string. */
export function checkIntegerStrings(message: DescMessage, json: unknown, prefix = ""): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return;
  const { integers, messages } = checks(message);
  if (integers.size === 0 && messages.size === 0) return;
  for (const [key, value] of Object.entries(json)) {
    const integer = integers.get(key);
    if (integer !== undefined) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item === "string" && !DECIMAL.test(item)) {
          const path = prefix === "" ? integer.jsonName : `${prefix}.${integer.jsonName}`;
          throw badField(path, expectedButGot(fieldExpected(integer), `: ${JSON.stringify(item)}`));
        }
      }
      continue;
    }
    const nested = messages.get(key);
    if (nested === undefined) continue;
    const path = prefix === "" ? nested.jsonName : `${prefix}.${nested.jsonName}`;
    for (const item of Array.isArray(value) ? value : [value])
      checkIntegerStrings(nested.message, item, path);
  }
}
