/**
 * The comments of the contracts, for the OpenAPI document. protobuf-es leaves
 * source info out of generated code, so `npm run generate` writes it beside the
 * code as `descriptors.json` (a FileDescriptorSet in JSON); this module reads
 * the leading comment of each service, method, message, field and enum.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DescEnum, DescField, DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";

/** The description of a declaration: its leading comment, if it has one. */
export type DescriptionOf = (
  desc: DescService | DescMethod | DescMessage | DescField | DescEnum,
) => string | undefined;

interface NamedProto {
  readonly name: string;
  readonly field?: readonly NamedProto[];
  readonly nestedType?: readonly NamedProto[];
  readonly enumType?: readonly NamedProto[];
  readonly method?: readonly NamedProto[];
}

interface FileProto {
  readonly package?: string;
  readonly messageType?: readonly NamedProto[];
  readonly enumType?: readonly NamedProto[];
  readonly service?: readonly NamedProto[];
  readonly sourceCodeInfo?: { readonly location?: readonly { path?: number[]; leadingComments?: string }[] };
}

// Field numbers of descriptor.proto that make up source-info paths.
const FILE_MESSAGE = 4;
const FILE_ENUM = 5;
const FILE_SERVICE = 6;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED = 3;
const MESSAGE_ENUM = 4;
const SERVICE_METHOD = 2;

const keyOf = (desc: Parameters<DescriptionOf>[0]): string => {
  switch (desc.kind) {
    case "field":
      return `${desc.parent.typeName}#${desc.name}`;
    case "rpc":
      return `${desc.parent.typeName}/${desc.name}`;
    default:
      return desc.typeName;
  }
};

const clean = (comment: string) =>
  comment
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .trim();

function commentsOfFile(file: FileProto, into: Map<string, string>): void {
  const comments = new Map<string, string>();
  for (const location of file.sourceCodeInfo?.location ?? []) {
    if (location.leadingComments && location.path)
      comments.set(location.path.join(","), clean(location.leadingComments));
  }
  const add = (key: string, path: number[]) => {
    const comment = comments.get(path.join(","));
    if (comment) into.set(key, comment);
  };
  const walkMessage = (message: NamedProto, name: string, path: number[]) => {
    add(name, path);
    for (const [i, field] of (message.field ?? []).entries())
      add(`${name}#${field.name}`, [...path, MESSAGE_FIELD, i]);
    for (const [i, nested] of (message.nestedType ?? []).entries()) {
      walkMessage(nested, `${name}.${nested.name}`, [...path, MESSAGE_NESTED, i]);
    }
    for (const [i, nested] of (message.enumType ?? []).entries())
      add(`${name}.${nested.name}`, [...path, MESSAGE_ENUM, i]);
  };
  const prefix = file.package ? `${file.package}.` : "";
  for (const [i, message] of (file.messageType ?? []).entries())
    walkMessage(message, prefix + message.name, [FILE_MESSAGE, i]);
  for (const [i, nested] of (file.enumType ?? []).entries()) add(prefix + nested.name, [FILE_ENUM, i]);
  for (const [i, service] of (file.service ?? []).entries()) {
    add(prefix + service.name, [FILE_SERVICE, i]);
    for (const [j, method] of (service.method ?? []).entries()) {
      add(`${prefix}${service.name}/${method.name}`, [FILE_SERVICE, i, SERVICE_METHOD, j]);
    }
  }
}

/**
 * Reads the comments of the given descriptor sets (files written by `npm run
 * generate`). A missing file only means fewer descriptions.
 */
export function loadProtoComments(paths: readonly string[]): DescriptionOf {
  const comments = new Map<string, string>();
  for (const path of paths) {
    let set: { file?: readonly FileProto[] };
    try {
      set = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      continue;
    }
    for (const file of set.file ?? []) commentsOfFile(file, comments);
  }
  return (desc) => comments.get(keyOf(desc));
}

/** Where `npm run generate` writes the contracts' descriptors. */
export const CONTRACT_DESCRIPTORS = fileURLToPath(import.meta.resolve("@skyros/contracts/descriptors.json"));
