/**
 * Where in a request body protobuf's JSON reader refused a field, with the
 * index of each list element on the way (`items[1].quantity`), as the
 * services name fields in their own errors. The reader says only which field
 * of which message type; so this looks, on the error path alone, for the
 * elements that do not decode.
 */
import { type DescField, type DescMessage, fromJson, type JsonValue } from "@bufbuild/protobuf";

const decodes = (message: DescMessage, json: unknown) => {
  try {
    fromJson(message, json as JsonValue, { ignoreUnknownFields: true });
    return true;
  } catch {
    return false;
  }
};

/** The JSON path of `target` in `json` (a request of type `message`), or undefined if not found. */
export function locateRefusedField(
  message: DescMessage,
  json: unknown,
  target: DescField,
  prefix = "",
): string | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const record = json as Record<string, unknown>;
  if (message.typeName === target.parent.typeName) {
    return prefix === "" ? target.jsonName : `${prefix}.${target.jsonName}`;
  }
  for (const field of message.fields) {
    const child = field.fieldKind === "message" || field.fieldKind === "list" ? field.message : undefined;
    const value = record[field.jsonName] ?? record[field.name];
    if (child === undefined || value === undefined || value === null) continue;
    const path = prefix === "" ? field.jsonName : `${prefix}.${field.jsonName}`;
    if (field.fieldKind === "list" && Array.isArray(value)) {
      const index = value.findIndex((element) => !decodes(child, element));
      if (index >= 0) return locateRefusedField(child, value[index], target, `${path}[${index}]`);
    } else if (field.fieldKind === "message" && !decodes(child, value)) {
      return locateRefusedField(child, value, target, path);
    }
  }
  return undefined;
}
