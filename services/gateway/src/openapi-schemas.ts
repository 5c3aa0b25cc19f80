/**
 * OpenAPI schemas for protobuf messages and fields, following the proto3 JSON
 * mapping: lowerCamelCase names, 64-bit integers as strings, enums by name,
 * well-known types in their JSON forms.
 */
import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { DescriptionOf } from "./proto-comments.ts";

export type Schema = Record<string, unknown>;

const refTo = (typeName: string) => ({ $ref: `#/components/schemas/${typeName}` });

function scalarSchema(scalar: ScalarType): Schema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0 };
    default:
      // int64 and its kin: strings, as JSON numbers cannot hold them exactly.
      return { type: "string", format: "int64" };
  }
}

const wellKnown: Readonly<Record<string, Schema>> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", example: "1.5s" },
  "google.protobuf.FieldMask": { type: "string", description: "Comma-separated lowerCamelCase field paths." },
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array", items: {} },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string" } },
    additionalProperties: true,
  },
  "google.protobuf.StringValue": { type: "string" },
  "google.protobuf.BytesValue": { type: "string", format: "byte" },
  "google.protobuf.BoolValue": { type: "boolean" },
  "google.protobuf.DoubleValue": { type: "number", format: "double" },
  "google.protobuf.FloatValue": { type: "number", format: "float" },
  "google.protobuf.Int32Value": { type: "integer", format: "int32" },
  "google.protobuf.UInt32Value": { type: "integer", format: "int64", minimum: 0 },
  "google.protobuf.Int64Value": { type: "string", format: "int64" },
  "google.protobuf.UInt64Value": { type: "string", format: "int64" },
};

/** Collects the component schemas of messages and enums as fields refer to them. */
export class SchemaCollector {
  readonly schemas: Record<string, Schema> = {};
  readonly #describe: DescriptionOf;

  constructor(describe: DescriptionOf) {
    this.#describe = describe;
  }

  /** A schema for a message: a $ref to its component (added on first use), or its well-known form. */
  message(message: DescMessage): Schema {
    const known = wellKnown[message.typeName];
    if (known !== undefined) return known;
    if (this.schemas[message.typeName] === undefined) {
      const schema: Schema = { type: "object" };
      // Registered before its fields, so that recursive messages end in a $ref.
      this.schemas[message.typeName] = schema;
      schema.properties = this.properties(message, new Set());
      const description = this.#describe(message);
      if (description) schema.description = description;
    }
    return refTo(message.typeName);
  }

  /** The properties of a message's fields, leaving out the JSON names in `omit`. */
  properties(message: DescMessage, omit: ReadonlySet<string>): Record<string, Schema> {
    const properties: Record<string, Schema> = {};
    for (const field of message.fields) {
      if (omit.has(field.jsonName)) continue;
      properties[field.jsonName] = this.field(field);
    }
    return properties;
  }

  /** The schema of one field's value, with the field's comment as description. */
  field(field: DescField): Schema {
    const value = this.value(field);
    const description = this.#describe(field);
    // A $ref cannot carry siblings in OpenAPI 3.0: wrap it to keep the description.
    if (description === undefined) return value;
    return "$ref" in value ? { allOf: [value], description } : { ...value, description };
  }

  /** The schema of a field's value, ignoring its comment. */
  value(field: DescField): Schema {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.enumeration(field.enum);
      case "message":
        return this.message(field.message);
      case "list":
        return {
          type: "array",
          items:
            field.listKind === "scalar"
              ? scalarSchema(field.scalar)
              : field.listKind === "enum"
                ? this.enumeration(field.enum)
                : this.message(field.message),
        };
      case "map":
        return {
          type: "object",
          additionalProperties:
            field.mapKind === "scalar"
              ? scalarSchema(field.scalar)
              : field.mapKind === "enum"
                ? this.enumeration(field.enum)
                : this.message(field.message),
        };
    }
  }

  enumeration(descEnum: DescEnum): Schema {
    if (this.schemas[descEnum.typeName] === undefined) {
      const schema: Schema = { type: "string", enum: descEnum.values.map((value) => value.name) };
      const description = this.#describe(descEnum);
      if (description) schema.description = description;
      this.schemas[descEnum.typeName] = schema;
    }
    return refTo(descEnum.typeName);
  }
}
