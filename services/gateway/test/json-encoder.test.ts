/**
 * The compiled JSON encoder writes exactly what protobuf-es's toJsonString
 * writes (with alwaysEmitImplicit), for every message type of our contracts,
 * the test-only Library, and a message with every field kind the encoder
 * hands back to protobuf-es. Messages are generated at random from their
 * descriptors, with a fixed seed so that a failure repeats.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  create,
  createFileRegistry,
  createRegistry,
  type DescField,
  type DescMessage,
  fromBinary,
  type Message,
  type Registry,
  ScalarType,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import * as wkt from "@bufbuild/protobuf/wkt";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { file_skyros_order_v1_order } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { file_skyros_product_v1_product } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { file_skyros_user_v1_user } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createJsonEncoders } from "../src/json-encoder.ts";
import { file_skyros_gatewaytest_v1_library } from "./gen/skyros/gatewaytest/v1/library_pb.js";

/** A small deterministic generator (mulberry32). */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Random = ReturnType<typeof randomSource>;

const TEXTS = [
  "",
  "plain",
  'quote " and \\ slash',
  "line\nbreak\ttab",
  "\u0000\u001f control",
  "ünïcödé ✓ 🍵",
  "</script>",
];

function scalarValue(random: Random, scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return random.pick(TEXTS);
    case ScalarType.BOOL:
      return random.int(2) === 1;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return random.pick([0, 1, -1, 2147483647, -2147483648, random.int(100000) - 50000]);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return random.pick([0, 1, 4294967295, random.int(100000)]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return random.pick([0n, -1n, 9223372036854775807n, -9223372036854775808n, BigInt(random.int(1e9))]);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return random.pick([0n, 18446744073709551615n, BigInt(random.int(1e9))]);
    case ScalarType.FLOAT:
      return random.pick([0, -0, 1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    case ScalarType.DOUBLE:
      return random.pick([0, -0, 0.1, 1e21, 1e-7, -123.456, Number.NaN, Number.POSITIVE_INFINITY, 5e-324]);
    case ScalarType.BYTES:
      return Uint8Array.from({ length: random.int(6) }, () => random.int(256));
  }
}

/** An init object for `desc`, to be passed to create(). */
function randomInit(random: Random, desc: DescMessage, depth: number): Record<string, unknown> {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return {
        seconds: BigInt(random.pick([0, -62135596800, 253402300799, 1_700_000_000 + random.int(1e8)])),
        nanos: random.pick([0, 1_000_000, 123_000_000, 123_456_000, 123_456_789, 5]),
      };
    case "google.protobuf.Duration":
      return { seconds: BigInt(random.int(100000)), nanos: random.pick([0, 500_000_000]) };
    case "google.protobuf.FieldMask":
      return { paths: random.pick([[], ["title"], ["book.title", "pages"]]) };
    case "google.protobuf.Any":
      return {};
  }
  const init: Record<string, unknown> = {};
  for (const field of desc.fields) {
    if (random.int(4) === 0) continue; // left unset
    const value = randomField(random, field, depth);
    if (value === undefined) continue;
    if (field.oneof !== undefined) {
      if (init[field.oneof.localName] === undefined) {
        init[field.oneof.localName] = { case: field.localName, value };
      }
    } else {
      init[field.localName] = value;
    }
  }
  return init;
}

function randomSingular(random: Random, field: DescField, kind: string, depth: number): unknown {
  if (kind === "scalar") return scalarValue(random, field.scalar as ScalarType);
  if (kind === "enum") {
    const values = field.enum?.values ?? [];
    return random.int(8) === 0 ? 99 : random.pick(values).number;
  }
  const message = field.message as DescMessage;
  if (depth > 2) return undefined;
  if (message.typeName === "google.protobuf.Struct") return { a: 1, b: [true, null, "x"] };
  if (message.typeName === "google.protobuf.Value") return random.pick([1.5, "text", null, { k: [1] }]);
  if (message.typeName.endsWith("Value") && message.typeName.startsWith("google.protobuf.")) {
    // Wrapper fields hold the plain value.
    return scalarValue(random, message.fields[0]?.scalar as ScalarType);
  }
  return create(message, randomInit(random, message, depth + 1) as never);
}

function randomField(random: Random, field: DescField, depth: number): unknown {
  if (field.fieldKind === "list") {
    const items = [];
    for (let i = random.int(4); i > 0; i--) {
      const item = randomSingular(random, field, field.listKind, depth);
      if (item !== undefined) items.push(item);
    }
    return items;
  }
  if (field.fieldKind === "map") {
    const map: Record<string, unknown> = {};
    for (let i = random.int(3); i > 0; i--) {
      const value = randomSingular(random, field, field.mapKind, depth);
      if (value !== undefined) map[`k${i}`] = value;
    }
    return map;
  }
  return randomSingular(random, field, field.fieldKind, depth);
}

/** A message type with every field kind that the encoder hands back to protobuf-es. */
function fallbackKinds(): DescMessage {
  const file = create(FileDescriptorProtoSchema, {
    name: "skyros/gatewaytest/v1/kinds.proto",
    package: "skyros.gatewaytest.v1",
    syntax: "proto3",
    dependency: ["google/protobuf/struct.proto", "google/protobuf/wrappers.proto"],
    messageType: [
      {
        name: "Kinds",
        field: [
          {
            name: "counts",
            number: 1,
            label: 3,
            type: 11,
            typeName: ".skyros.gatewaytest.v1.Kinds.CountsEntry",
            jsonName: "counts",
          },
          { name: "word", number: 2, label: 1, type: 9, oneofIndex: 0, jsonName: "word" },
          { name: "number", number: 3, label: 1, type: 5, oneofIndex: 0, jsonName: "number" },
          {
            name: "wrapped",
            number: 4,
            label: 1,
            type: 11,
            typeName: ".google.protobuf.StringValue",
            jsonName: "wrapped",
          },
          {
            name: "extra",
            number: 5,
            label: 1,
            type: 11,
            typeName: ".google.protobuf.Struct",
            jsonName: "extra",
          },
          { name: "blob", number: 6, label: 1, type: 12, jsonName: "blob" },
          { name: "ratio", number: 7, label: 1, type: 2, jsonName: "ratio" },
          { name: "big", number: 8, label: 1, type: 4, jsonName: "big" },
          {
            name: "maybe",
            number: 9,
            label: 1,
            type: 5,
            proto3Optional: true,
            oneofIndex: 1,
            jsonName: "maybe",
          },
          {
            name: "child",
            number: 10,
            label: 1,
            type: 11,
            typeName: ".skyros.gatewaytest.v1.Plain",
            jsonName: "child",
          },
        ],
        nestedType: [
          {
            name: "CountsEntry",
            options: { mapEntry: true },
            field: [
              { name: "key", number: 1, label: 1, type: 9, jsonName: "key" },
              { name: "value", number: 2, label: 1, type: 5, jsonName: "value" },
            ],
          },
        ],
        oneofDecl: [{ name: "choice" }, { name: "_maybe" }],
      },
      {
        name: "Plain",
        field: [
          { name: "z_last", number: 9, label: 1, type: 9, jsonName: "zLast" },
          { name: "a_first", number: 1, label: 1, type: 17, jsonName: "aFirst" },
          {
            name: "again",
            number: 5,
            label: 1,
            type: 11,
            typeName: ".skyros.gatewaytest.v1.Plain",
            jsonName: "again",
          },
          { name: "tags", number: 3, label: 3, type: 6, jsonName: "tags" },
        ],
      },
    ],
  });
  const registry = createFileRegistry(file, (name) =>
    name === "google/protobuf/struct.proto"
      ? wkt.file_google_protobuf_struct
      : name === "google/protobuf/wrappers.proto"
        ? wkt.file_google_protobuf_wrappers
        : undefined,
  );
  return registry.getMessage("skyros.gatewaytest.v1.Kinds") as DescMessage;
}

function expectSameJson(registry: Registry, desc: DescMessage, message: Message) {
  const encode = createJsonEncoders(registry)(desc);
  const expected = toJsonString(desc, message, { alwaysEmitImplicit: true, registry });
  assert.equal(encode(message), expected, `${desc.typeName}`);
}

describe("the compiled JSON encoder", () => {
  const contracts = [
    file_skyros_user_v1_user,
    file_skyros_product_v1_product,
    file_skyros_order_v1_order,
    file_skyros_gatewaytest_v1_library,
  ];
  const registry = createRegistry(...contracts);
  const kinds = fallbackKinds();
  const types = [...contracts.flatMap((file) => file.messages), kinds, kinds.file.messages[1] as DescMessage];

  test("writes every contract message type as protobuf-es does (random messages)", () => {
    const random = randomSource(20261124);
    for (const desc of types) {
      for (let i = 0; i < 60; i++) {
        const message = create(desc, randomInit(random, desc, 0) as never);
        expectSameJson(registry, desc, message);
      }
    }
  });

  test("empty messages: every implicit field with its zero value, lists empty", () => {
    for (const desc of types) expectSameJson(registry, desc, create(desc));
  });

  test("a message that arrived with unknown fields is written as protobuf-es writes it", () => {
    const { messages } = file_skyros_product_v1_product;
    const product = messages.find((desc) => desc.name === "Product") as DescMessage;
    const known = toBinary(product, create(product, { id: "p", name: "Lamp", price: 5n } as never));
    // Field 999, varint 1: a field this gateway does not know.
    const bytes = new Uint8Array([...known, 0xb8, 0x3e, 0x01]);
    const message = fromBinary(product, bytes);
    assert.ok((message.$unknown?.length ?? 0) > 0);
    expectSameJson(registry, product, message);
  });

  test("Timestamps at the ends of the range and with each fraction length", () => {
    const ts = wkt.TimestampSchema;
    for (const [seconds, nanos] of [
      [0n, 0],
      [-62135596800n, 0],
      [253402300799n, 999_999_999],
      [1n, 1_000_000],
      [1n, 1_000],
      [1n, 1],
      [-1n, 500_000_000],
    ] as const) {
      expectSameJson(registry, ts, create(ts, { seconds, nanos }));
    }
    // Out of range: the same error protobuf-es gives.
    const outside = create(ts, { seconds: 253402300800n });
    assert.throws(() => createJsonEncoders(registry)(ts)(outside), /must be from 0001-01-01/);
  });
});
