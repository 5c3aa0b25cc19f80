/**
 * Finding the route of a request. Routes are grouped by HTTP method and tried
 * most specific first (more literal segments, `**` last), as grpc-gateway does,
 * so `/v1/users/me` wins over a variable in the same place.
 */
import { matchPathSegments, splitPath } from "./path-template.ts";
import type { Route } from "./route-table.ts";

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly bindings: ReadonlyMap<string, string> }
  /** The path exists for other methods: a 405 listing them. */
  | { readonly kind: "wrong-method"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" };

export interface Router {
  match(method: string, path: string): RouteMatch;
}

const specificity = (route: Route) =>
  route.template.literalCount * 4 +
  (route.template.verb === undefined ? 0 : 2) -
  (route.template.deep ? 1 : 0);

/** A router over the given routes. */
export function createRouter(routes: readonly Route[]): Router {
  const byMethod = new Map<string, Route[]>();
  for (const route of routes) {
    const list = byMethod.get(route.httpMethod) ?? [];
    list.push(route);
    byMethod.set(route.httpMethod, list);
  }
  for (const list of byMethod.values()) list.sort((a, b) => specificity(b) - specificity(a));

  const find = (method: string, parts: readonly string[]) => {
    for (const route of byMethod.get(method) ?? []) {
      const bindings = matchPathSegments(route.template, parts);
      if (bindings !== undefined) return { route, bindings };
    }
    return undefined;
  };

  return {
    match(method, path) {
      const parts = splitPath(path);
      if (parts === undefined) return { kind: "not-found" };
      const found = find(method === "HEAD" ? "GET" : method, parts);
      if (found !== undefined) return { kind: "found", ...found };
      const allowed = [...byMethod.keys()].filter(
        (other) => other !== method && find(other, parts) !== undefined,
      );
      return allowed.length > 0 ? { kind: "wrong-method", allowed } : { kind: "not-found" };
    },
  };
}

/** A request URL's path, without its query string. */
export function pathOf(url: string): string {
  const queryAt = url.indexOf("?");
  return queryAt < 0 ? url : url.slice(0, queryAt);
}
