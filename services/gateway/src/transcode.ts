/**
 * Transcoding between REST/JSON and protobuf for one route: a request's path
 * variables, query string and body become the RPC's request message; its
 * response message becomes canonical proto3 JSON.
 */
import {
  type DescField,
  type DescMessage,
  fromJson,
  type JsonValue,
  type Message,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { badField, GatewayError } from "./error-body.ts";
import { locateRefusedField } from "./field-location.ts";
import { setJsonPath } from "./field-paths.ts";
import { holdsLargeNumbers } from "./json-body.ts";
import { createJsonEncoders } from "./json-encoder.ts";
import { expectedButGot, fieldExpected, messageExpected } from "./json-field-errors.ts";
import { settleIntegers } from "./json-integers.ts";
import { applyQuery, type QueryValues, refuseQueryFields, textToJson } from "./query-params.ts";
import type { Route } from "./route-table.ts";

/** Builds the request message of `route` from the parts of an HTTP request. */
export function decodeRequest(
  route: Route,
  bindings: ReadonlyMap<string, string>,
  query: QueryValues,
  body: unknown,
): Message {
  let json: Record<string, unknown>;
  if (route.body === "*") {
    refuseQueryFields(route, query);
    if (body === undefined || body === null) json = {};
    else if (typeof body !== "object" || Array.isArray(body)) {
      throw new GatewayError(Code.InvalidArgument, "the request body must be a JSON object");
    } else json = body as Record<string, unknown>;
  } else {
    json = {};
    if (route.body !== undefined && body !== undefined) json[route.body.jsonName] = body;
    applyQuery(route, query, json);
  }
  // Path variables win over the same field in the body, as in grpc-gateway.
  for (const binding of route.pathBindings) {
    const field = binding.chain[binding.chain.length - 1] as DescField;
    setJsonPath(json, binding.chain, textToJson(field, bindings.get(binding.fieldPath) ?? ""));
  }
  settleIntegers(route.method.input, json, holdsLargeNumbers(body));
  try {
    return fromJson(route.method.input, json as JsonValue, { ignoreUnknownFields: true });
  } catch (error) {
    throw decodeError(route.method.input, json, error);
  }
}

/** Writes a route's response message as its JSON response body. */
export type ResponseEncoder = (route: Route, message: Message) => string;

/**
 * The response writer of every route, compiled at start-up (json-encoder.ts).
 * A route with response_body sends that one field; those go through
 * protobuf-es, as no route of ours has one.
 */
export function createResponseEncoder(routes: readonly Route[], registry: Registry): ResponseEncoder {
  const encoderOf = createJsonEncoders(registry);
  const options = { alwaysEmitImplicit: true, registry };
  const byRoute = new Map<Route, (message: Message) => string>();
  for (const route of routes) {
    const { responseBody } = route;
    byRoute.set(
      route,
      responseBody === undefined
        ? encoderOf(route.method.output)
        : (message) => {
            const json = toJson(route.method.output, message, options) as Record<string, JsonValue>;
            return JSON.stringify(json[responseBody.jsonName] ?? null);
          },
    );
  }
  return (route, message) => {
    const encode = byRoute.get(route);
    if (encode === undefined) throw new Error(`no response encoder for ${route.template.source}`);
    return encode(message);
  };
}

/** Where a type is used in a request: the JSON path of the first field of that type. */
type TypeSite =
  | { readonly path: string; readonly message: DescMessage; readonly field?: undefined }
  | { readonly path: string; readonly field: DescField; readonly message?: undefined };

const sitesOfTypes = new WeakMap<DescMessage, Map<string, TypeSite>>();

/** Where each message and enum type first occurs under `root`, as a JSON field path. */
function typeSites(root: DescMessage): Map<string, TypeSite> {
  const known = sitesOfTypes.get(root);
  if (known !== undefined) return known;
  const sites = new Map<string, TypeSite>([[root.typeName, { path: "", message: root }]]);
  const queue: [DescMessage, string][] = [[root, ""]];
  while (queue.length > 0) {
    const [message, prefix] = queue.shift() as [DescMessage, string];
    for (const field of message.fields) {
      const path = prefix === "" ? field.jsonName : `${prefix}.${field.jsonName}`;
      const enumType = field.fieldKind === "enum" || field.fieldKind === "list" ? field.enum : undefined;
      if (enumType !== undefined && !sites.has(enumType.typeName))
        sites.set(enumType.typeName, { path, field });
      const child = field.fieldKind === "message" || field.fieldKind === "list" ? field.message : undefined;
      if (child === undefined || sites.has(child.typeName)) continue;
      sites.set(child.typeName, { path, message: child });
      queue.push([child, path]);
    }
  }
  sitesOfTypes.set(root, sites);
  return sites;
}

/**
 * A 400 naming the field that protobuf's JSON reader refused. Its errors name
 * the field by its proto name inside its message; clients know the JSON path.
 */
function decodeError(input: DescMessage, json: unknown, error: unknown): GatewayError {
  const cause = error instanceof Error ? error.cause : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const detail = message.replace(/^cannot decode [^:]*: /, "");
  if (cause instanceof Error && "field" in cause && typeof cause.field === "function") {
    const field = cause.field() as DescField;
    const parentPath = typeSites(input).get(field.parent.typeName)?.path;
    const name =
      locateRefusedField(input, json, field) ??
      (parentPath ? `${parentPath}.${field.jsonName}` : field.jsonName);
    // Both spellings of one field in an object ("destinationAddress" and
    // "destination_address"): the same mistake as a name given twice.
    if (cause.message === "set multiple times") {
      return new GatewayError(Code.InvalidArgument, `malformed JSON body: duplicate field "${name}"`, {
        field: name,
      });
    }
    return badField(name, expectedButGot(fieldExpected(field), cause.message));
  }
  const typeName = /^cannot decode (?:message|enum) ([\w.]+)/.exec(message)?.[1];
  if (typeName === input.typeName) {
    return new GatewayError(Code.InvalidArgument, "the request body must be a JSON object");
  }
  const site = typeName === undefined ? undefined : typeSites(input).get(typeName);
  if (site?.path) {
    // The reader quotes either the value it got or why it refused it.
    const quotesValue = /^(?:".*"|-?\d.*|true|false|null|object|Array\(\d+\))$/.test(detail);
    const expected = site.field === undefined ? messageExpected(site.message) : fieldExpected(site.field);
    return badField(
      site.path,
      quotesValue ? expectedButGot(expected, `: ${detail}`) : `expected ${expected} (${detail})`,
    );
  }
  return new GatewayError(Code.InvalidArgument, `invalid request: ${detail}`);
}
