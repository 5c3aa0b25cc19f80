/**
 * Resolving dotted field paths ("book.id", "filter.min_pages") in a message,
 * accepting each part in its proto name or its lowerCamelCase JSON name, as
 * clients may spell it either way. Lookup tables are built once per message.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";

const lookups = new WeakMap<DescMessage, ReadonlyMap<string, DescField>>();

/** The field of `message` named `name` (proto name or JSON name). */
export function fieldByName(message: DescMessage, name: string): DescField | undefined {
  let lookup = lookups.get(message);
  if (lookup === undefined) {
    const map = new Map<string, DescField>();
    for (const field of message.fields) {
      map.set(field.name, field);
      map.set(field.jsonName, field);
    }
    lookups.set(message, map);
    lookup = map;
  }
  return lookup.get(name);
}

/**
 * The chain of fields a dotted path walks through; every part but the last must
 * be a singular message field. Undefined when the path names no field.
 */
export function resolveFieldPath(message: DescMessage, path: string): DescField[] | undefined {
  const chain: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const part of path.split(".")) {
    if (current === undefined) return undefined;
    const field = fieldByName(current, part);
    if (field === undefined) return undefined;
    chain.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return chain;
}

/** The lowerCamelCase dotted path of a chain of fields, as clients see it. */
export const jsonPathOf = (chain: readonly DescField[]) => chain.map((field) => field.jsonName).join(".");

/**
 * Sets `value` at a chain of fields in a JSON object, creating the objects on
 * the way. A part the client spelled with the proto name is moved to the JSON
 * name first, so that there is one spelling of each field to decode.
 */
export function setJsonPath(
  target: Record<string, unknown>,
  chain: readonly DescField[],
  value: unknown,
): void {
  let object = target;
  for (let i = 0; i < chain.length; i++) {
    const field = chain[i] as DescField;
    if (field.name !== field.jsonName && Object.hasOwn(object, field.name)) {
      if (!Object.hasOwn(object, field.jsonName)) object[field.jsonName] = object[field.name];
      delete object[field.name];
    }
    if (i === chain.length - 1) {
      object[field.jsonName] = value;
      return;
    }
    const next = object[field.jsonName];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      object[field.jsonName] = created;
      object = created;
    } else {
      object = next as Record<string, unknown>;
    }
  }
}
