/**
 * The REST routes, derived at start-up from the google.api.http annotations
 * of every service the gateway fronts (grpc-gateway's rules). Everything a
 * request needs (field chains, body binding, auth rule) is resolved here, once.
 */
import type { DescField, DescMethod, DescService } from "@bufbuild/protobuf";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@skyros/contracts/google/api/annotations_pb.js";
import type { HttpRule } from "@skyros/contracts/google/api/http_pb.js";
import { auth } from "@skyros/contracts/skyros/api/v1/auth_pb.js";
import { idempotency_key } from "@skyros/contracts/skyros/api/v1/idempotency_pb.js";
import { jsonPathOf, resolveFieldPath } from "./field-paths.ts";
import { type PathTemplate, parsePathTemplate, type Variable } from "./path-template.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who may call a route, from the method's (skyros.api.v1.auth) option. */
export interface AuthRule {
  readonly required: boolean;
  readonly roles: readonly string[];
}

/** A path variable and the chain of request fields it sets. */
export interface PathBinding {
  readonly fieldPath: string;
  readonly chain: readonly DescField[];
  /** Where the variable sits in the template. */
  readonly variable: Variable;
}

/** One REST route: an HTTP method and path template bound to one unary RPC. */
export interface Route {
  readonly httpMethod: HttpMethod;
  readonly template: PathTemplate;
  /** The upstream (by name) that serves the RPC. */
  readonly upstream: string;
  readonly service: DescService;
  readonly method: DescMethod & { methodKind: "unary" };
  /** "*" (the whole request), a top-level field, or undefined (no body). */
  readonly body: "*" | DescField | undefined;
  /** The response field sent as the body, or undefined for the whole response. */
  readonly responseBody: DescField | undefined;
  readonly pathBindings: readonly PathBinding[];
  /** JSON paths of fields the query string may not set (bound by path or body). */
  readonly boundPaths: ReadonlySet<string>;
  readonly auth: AuthRule;
  /** Whether the RPC takes an Idempotency-Key header (skyros.api.v1.idempotency_key). */
  readonly idempotencyKey: boolean;
  /** 0 for the main binding, then 1, 2... for additional_bindings. */
  readonly bindingIndex: number;
}

/** Whether a JSON field path is bound by the route's path or body (or lies under one that is). */
export function isBound(route: Route, path: string): boolean {
  if (route.boundPaths.has(path)) return true;
  for (const bound of route.boundPaths) if (path.startsWith(`${bound}.`)) return true;
  return false;
}

/** An annotation that cannot be served; names the method. */
export class RouteError extends Error {
  override name = "RouteError";
}

function patternOf(rule: HttpRule): { httpMethod: HttpMethod; path: string } | undefined {
  const { pattern } = rule;
  switch (pattern.case) {
    case "get":
      return { httpMethod: "GET", path: pattern.value };
    case "post":
      return { httpMethod: "POST", path: pattern.value };
    case "put":
      return { httpMethod: "PUT", path: pattern.value };
    case "patch":
      return { httpMethod: "PATCH", path: pattern.value };
    case "delete":
      return { httpMethod: "DELETE", path: pattern.value };
    case "custom":
      return { httpMethod: pattern.value.kind.toUpperCase() as HttpMethod, path: pattern.value.path };
    default:
      return undefined;
  }
}

function topLevelField(method: DescMethod, name: string, what: string): DescField {
  const field = method.input.fields.find((candidate) => candidate.name === name);
  if (field === undefined)
    throw new RouteError(`${method.parent.typeName}.${method.name}: ${what} "${name}" is not a field`);
  return field;
}

function routeOf(upstream: string, method: DescMethod, rule: HttpRule, bindingIndex: number): Route {
  const where = `${method.parent.typeName}.${method.name}`;
  const pattern = patternOf(rule);
  if (pattern === undefined) throw new RouteError(`${where}: the http rule has no pattern`);
  if (method.methodKind !== "unary")
    throw new RouteError(`${where}: only unary methods can have HTTP routes`);
  const template = parsePathTemplate(pattern.path);
  const pathBindings = template.variables.map((variable) => {
    const chain = resolveFieldPath(method.input, variable.fieldPath);
    if (chain === undefined)
      throw new RouteError(`${where}: path variable ${variable.fieldPath} is not a field`);
    const last = chain[chain.length - 1] as DescField;
    if (last.fieldKind !== "scalar" && last.fieldKind !== "enum") {
      throw new RouteError(`${where}: path variable ${variable.fieldPath} must be a singular scalar field`);
    }
    return { fieldPath: variable.fieldPath, chain, variable };
  });
  const body =
    rule.body === "" ? undefined : rule.body === "*" ? "*" : topLevelField(method, rule.body, "body");
  const responseBody =
    rule.responseBody === ""
      ? undefined
      : method.output.fields.find((field) => field.name === rule.responseBody);
  if (rule.responseBody !== "" && responseBody === undefined) {
    throw new RouteError(`${where}: response_body "${rule.responseBody}" is not a field`);
  }
  const boundPaths = new Set(pathBindings.map((binding) => jsonPathOf(binding.chain)));
  if (body !== undefined && body !== "*") boundPaths.add(body.jsonName);
  const authRule = hasOption(method, auth) ? getOption(method, auth) : undefined;
  return {
    httpMethod: pattern.httpMethod,
    template,
    upstream,
    service: method.parent,
    method: method as Route["method"],
    body,
    responseBody,
    pathBindings,
    boundPaths,
    auth: { required: authRule?.required ?? false, roles: authRule?.roles ?? [] },
    idempotencyKey: getOption(method, idempotency_key),
    bindingIndex,
  };
}

/** The routes of every annotated RPC of the given services. Unannotated RPCs get none. */
export function buildRoutes(
  upstreams: readonly { name: string; services: readonly DescService[] }[],
): Route[] {
  const routes: Route[] = [];
  for (const upstream of upstreams) {
    for (const service of upstream.services) {
      for (const method of service.methods) {
        if (!hasOption(method, http)) continue;
        const rule = getOption(method, http);
        routes.push(routeOf(upstream.name, method, rule, 0));
        rule.additionalBindings.forEach((binding, index) => {
          routes.push(routeOf(upstream.name, method, binding, index + 1));
        });
      }
    }
  }
  return routes;
}
