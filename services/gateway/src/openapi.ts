/**
 * The OpenAPI 3 document of the REST API, generated at start-up from the same
 * route table that serves requests, so the two cannot disagree: every route,
 * its path and query parameters, request and response schemas, the error
 * shape, bearer auth where the contract requires a token, and the contracts'
 * comments as descriptions.
 */
import type { DescField } from "@bufbuild/protobuf";
import { jsonPathOf } from "./field-paths.ts";
import { type Schema, SchemaCollector } from "./openapi-schemas.ts";
import { type DescriptionOf, loadProtoComments } from "./proto-comments.ts";
import { isBound, type Route } from "./route-table.ts";

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** Descriptor sets (JSON) whose comments describe the API. */
  readonly descriptorSets: readonly string[];
}

const STATUS_SCHEMA = "google.rpc.Status";
const MAX_QUERY_DEPTH = 4;

/** The OpenAPI path of a template: variables by their JSON field paths, `{bookId}` style. */
function openApiPath(route: Route): string {
  const { template } = route;
  const parts: string[] = [];
  let index = 0;
  for (const { variable, chain } of route.pathBindings) {
    for (; index < variable.start; index++) parts.push(literalOf(route, index));
    parts.push(`{${jsonPathOf(chain)}}`);
    index = variable.end;
  }
  for (; index < template.segments.length; index++) parts.push(literalOf(route, index));
  return `/${parts.join("/")}${template.verb === undefined ? "" : `:${template.verb}`}`;
}

function literalOf(route: Route, index: number): string {
  const segment = route.template.segments[index];
  return segment?.kind === "literal" ? segment.value : (segment?.kind ?? "");
}

/** Query parameters: every leaf field not bound by path or body, nested ones by dotted path. */
function queryParameters(route: Route, schemas: SchemaCollector, describe: DescriptionOf): Schema[] {
  if (route.body === "*") return [];
  const parameters: Schema[] = [];
  const visit = (fields: readonly DescField[], prefix: readonly DescField[]) => {
    for (const field of fields) {
      const chain = [...prefix, field];
      const path = jsonPathOf(chain);
      if (isBound(route, path)) continue;
      const nested = field.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.");
      if (nested) {
        if (chain.length < MAX_QUERY_DEPTH) visit(field.message.fields, chain);
        continue;
      }
      if (field.fieldKind === "map" || (field.fieldKind === "list" && field.listKind === "message")) continue;
      const parameter: Schema = { name: path, in: "query", required: false, schema: schemas.value(field) };
      if (field.fieldKind === "list") parameter.explode = true;
      const description = describe(field);
      if (description) parameter.description = description;
      parameters.push(parameter);
    }
  };
  visit(route.method.input.fields, []);
  return parameters;
}

function requestBody(route: Route, schemas: SchemaCollector): Schema | undefined {
  if (route.body === undefined) return undefined;
  let schema: Schema;
  if (route.body === "*") {
    // Fields bound by the path are not part of the body.
    const omit = new Set(
      route.pathBindings.filter((b) => b.chain.length === 1).map((b) => jsonPathOf(b.chain)),
    );
    schema =
      omit.size === 0
        ? schemas.message(route.method.input)
        : { type: "object", properties: schemas.properties(route.method.input, omit) };
  } else {
    schema = schemas.value(route.body);
  }
  return { required: true, content: { "application/json": { schema } } };
}

function operation(route: Route, schemas: SchemaCollector, describe: DescriptionOf): Schema {
  const { method } = route;
  const parameters: Schema[] = route.pathBindings.map((binding) => {
    const field = binding.chain[binding.chain.length - 1] as DescField;
    const parameter: Schema = {
      name: jsonPathOf(binding.chain),
      in: "path",
      required: true,
      schema: schemas.value(field),
    };
    const notes = [describe(field)];
    const pattern = route.template.segments.slice(binding.variable.start, binding.variable.end);
    if (pattern.length > 1 || pattern[0]?.kind !== "*") {
      notes.push(`Matches ${pattern.map((s) => (s.kind === "literal" ? s.value : s.kind)).join("/")}.`);
    }
    const description = notes.filter((note) => note !== undefined).join("\n\n");
    if (description !== "") parameter.description = description;
    return parameter;
  });
  parameters.push(...queryParameters(route, schemas, describe));
  if (route.idempotencyKey) {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        "Makes a retry safe: a repeat with the same key and body returns the first answer and " +
        "changes nothing; the same key with another body is a 422. Up to 255 characters.",
      schema: { type: "string", maxLength: 255 },
    });
  }
  const responseSchema =
    route.responseBody === undefined ? schemas.message(method.output) : schemas.value(route.responseBody);
  const notes: string[] = [];
  const comment = describe(method);
  if (comment) notes.push(comment);
  if (route.auth.required) notes.push("Requires a bearer access token.");
  if (route.auth.roles.length > 0) notes.push(`Roles: ${route.auth.roles.join(", ")}.`);
  const result: Schema = {
    operationId: `${method.parent.name}_${method.name}${route.bindingIndex === 0 ? "" : `_${route.bindingIndex}`}`,
    summary: method.name,
    tags: [method.parent.name],
    parameters,
    responses: {
      "200": { description: "OK", content: { "application/json": { schema: responseSchema } } },
      default: {
        description: "An error, as a google.rpc.Status.",
        content: { "application/json": { schema: { $ref: `#/components/schemas/${STATUS_SCHEMA}` } } },
      },
    },
  };
  if (notes.length > 0) result.description = notes.join("\n\n");
  const body = requestBody(route, schemas);
  if (body !== undefined) result.requestBody = body;
  if (route.auth.required) result.security = [{ bearerAuth: [] }];
  return result;
}

/** Builds the OpenAPI document (3.0.3) of the given routes. */
export function buildOpenApi(routes: readonly Route[], options: OpenApiOptions): Record<string, unknown> {
  const describe = loadProtoComments(options.descriptorSets);
  const schemas = new SchemaCollector(describe);
  const paths: Record<string, Record<string, Schema>> = {};
  const tags = new Map<string, string | undefined>();
  for (const route of routes) {
    const path = openApiPath(route);
    paths[path] ??= {};
    (paths[path] as Record<string, Schema>)[route.httpMethod.toLowerCase()] = operation(
      route,
      schemas,
      describe,
    );
    tags.set(route.service.name, describe(route.service));
  }
  schemas.schemas[STATUS_SCHEMA] = {
    type: "object",
    description: "The error body of every failed request (google.rpc.Status).",
    properties: {
      code: { type: "integer", format: "int32", description: "The gRPC status code." },
      message: { type: "string", description: "A message for developers." },
      details: {
        type: "array",
        items: { type: "object", properties: { "@type": { type: "string" } }, additionalProperties: true },
        description: "Structured details such as google.rpc.BadRequest.",
      },
    },
    required: ["code", "message", "details"],
  };
  return {
    openapi: "3.0.3",
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    tags: [...tags].map(([name, description]) => (description ? { name, description } : { name })),
    paths,
    components: {
      schemas: schemas.schemas,
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
  };
}
