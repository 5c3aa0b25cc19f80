/**
 * Query parameters into request fields: every field the path and body do not
 * bind may come from the query string, named by its dotted path in either
 * spelling (`filter.minPages=3`, `filter.min_pages=3`); a repeated field takes
 * the parameter once per value (`ids=a&ids=b`), any other field once; enums by
 * name or number. A route whose body is `*` takes every field from the body;
 * a query parameter naming one of its fields there is refused, since ignoring
 * it (as grpc-gateway does) would let `PATCH ...?updateMask=stock` write every
 * field the body holds.
 */
import { type DescField, ScalarType } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { badField, GatewayError } from "./error-body.ts";
import { jsonPathOf, resolveFieldPath, setJsonPath } from "./field-paths.ts";
import { isBound, type Route } from "./route-table.ts";

export type QueryValues = Readonly<Record<string, string | readonly string[] | undefined>>;

const trueWords = new Set(["true", "True", "TRUE", "t", "T", "1"]);
const falseWords = new Set(["false", "False", "FALSE", "f", "F", "0"]);

/**
 * A text value (from a path or a query string) as the JSON value protobuf's
 * JSON reader takes for the field: numbers and int64 stay strings (the reader
 * parses them), bools become booleans, numeric enums numbers.
 */
export function textToJson(field: DescField, text: string): unknown {
  const scalar =
    field.fieldKind === "list" ? field.scalar : field.fieldKind === "scalar" ? field.scalar : undefined;
  if (scalar === ScalarType.BOOL) {
    if (trueWords.has(text)) return true;
    if (falseWords.has(text)) return false;
    throw badField(field.jsonName, `expected true or false, got "${text}"`);
  }
  const isEnum = field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum");
  if (isEnum && /^-?\d+$/.test(text)) return Number(text);
  return text;
}

/** Sets the fields named by the query string in `target` (a request in JSON form). */
export function applyQuery(route: Route, query: QueryValues, target: Record<string, unknown>): void {
  for (const key in query) {
    const raw = query[key];
    if (raw === undefined) continue;
    const chain = resolveFieldPath(route.method.input, key);
    // Unknown parameters are ignored, like unknown JSON fields.
    if (chain === undefined) continue;
    const path = jsonPathOf(chain);
    if (isBound(route, path)) continue;
    const field = chain[chain.length - 1] as DescField;
    if (field.fieldKind === "map") continue;
    const texts = typeof raw === "string" ? [raw] : raw;
    if (field.fieldKind === "list") {
      if (field.listKind === "message") continue;
      setJsonPath(
        target,
        chain,
        texts.map((text) => textToJson(field, text)),
      );
    } else {
      // As grpc-gateway: a field of one value named twice is a mistake, not "the last one wins".
      if (texts.length > 1) throw badField(field.jsonName, `takes one value, got ${texts.length}`);
      setJsonPath(target, chain, textToJson(field, texts[0] as string));
    }
  }
}

/** Refuses query parameters that name fields of a route whose body binds them all. */
export function refuseQueryFields(route: Route, query: QueryValues): void {
  for (const key in query) {
    if (query[key] === undefined) continue;
    const chain = resolveFieldPath(route.method.input, key);
    if (chain === undefined || isBound(route, jsonPathOf(chain))) continue;
    const path = jsonPathOf(chain);
    throw new GatewayError(
      Code.InvalidArgument,
      `field "${path}" goes in the request body on this route, not in the query string`,
      { field: path },
    );
  }
}
