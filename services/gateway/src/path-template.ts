/**
 * google.api.http path templates: parsing them once, matching request paths
 * against them on every request.
 *
 *   Template = "/" Segments [ Verb ] ;
 *   Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *   Verb     = ":" LITERAL ;
 */

/** One segment of a template: a literal, `*` (one segment) or `**` (the rest). */
export type Segment = { readonly kind: "literal"; readonly value: string } | { readonly kind: "*" | "**" };

/** A variable: the request field it sets and the segments it captures [start, end). */
export interface Variable {
  /** Dotted field path as written in the template ("book.id"). */
  readonly fieldPath: string;
  readonly start: number;
  /** End index (exclusive); for a variable ending in `**`, the number of template segments. */
  readonly end: number;
}

export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly variables: readonly Variable[];
  readonly verb: string | undefined;
  /** Whether the last segment is `**` (matches any number of trailing segments). */
  readonly deep: boolean;
  /** Literal segments, for ordering: more literal templates are tried first. */
  readonly literalCount: number;
}

/** A template that does not follow the grammar; the message says where. */
export class PathTemplateError extends Error {
  override name = "PathTemplateError";
}

const literalPattern = /^[A-Za-z0-9._~!$&'()*+,;=@%-]+$/;
const fieldPathPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function parseSegment(text: string, source: string): Segment {
  if (text === "*" || text === "**") return { kind: text };
  if (!literalPattern.test(text)) throw new PathTemplateError(`bad segment "${text}" in ${source}`);
  return { kind: "literal", value: text };
}

/** Parses a path template; throws PathTemplateError when it is malformed. */
export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith("/")) throw new PathTemplateError(`template must start with "/": ${source}`);
  let rest = source.slice(1);
  let verb: string | undefined;
  // The verb follows the last colon outside braces.
  const lastBrace = rest.lastIndexOf("}");
  const colon = rest.indexOf(":", lastBrace + 1);
  if (colon >= 0) {
    verb = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!literalPattern.test(verb)) throw new PathTemplateError(`bad verb in ${source}`);
  }
  const segments: Segment[] = [];
  const variables: Variable[] = [];
  let index = 0;
  while (index <= rest.length) {
    if (rest[index] === "{") {
      const close = rest.indexOf("}", index);
      if (close < 0) throw new PathTemplateError(`unclosed variable in ${source}`);
      const [fieldPath = "", inner] = rest.slice(index + 1, close).split("=", 2);
      if (!fieldPathPattern.test(fieldPath)) throw new PathTemplateError(`bad field path in ${source}`);
      const start = segments.length;
      for (const part of (inner ?? "*").split("/")) segments.push(parseSegment(part, source));
      if (variables.some((variable) => variable.fieldPath === fieldPath)) {
        throw new PathTemplateError(`field ${fieldPath} bound twice in ${source}`);
      }
      variables.push({ fieldPath, start, end: segments.length });
      index = close + 1;
    } else {
      let end = rest.indexOf("/", index);
      if (end < 0) end = rest.length;
      segments.push(parseSegment(rest.slice(index, end), source));
      index = end;
    }
    if (index < rest.length && rest[index] !== "/") throw new PathTemplateError(`expected "/" in ${source}`);
    index += 1;
  }
  const deepAt = segments.findIndex((segment) => segment.kind === "**");
  if (deepAt >= 0 && deepAt !== segments.length - 1) {
    throw new PathTemplateError(`"**" must be the last segment in ${source}`);
  }
  return {
    source,
    segments,
    variables,
    verb,
    deep: deepAt >= 0,
    literalCount: segments.filter((segment) => segment.kind === "literal").length,
  };
}

function decodeSegment(segment: string): string | undefined {
  // Most segments (ids) have nothing to decode; decodeURIComponent would copy them anyway.
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A request path's segments, still percent-encoded; undefined if it does not start with "/". */
export function splitPath(path: string): readonly string[] | undefined {
  return path.startsWith("/") ? path.slice(1).split("/") : undefined;
}

/**
 * Matches a request path (without query string) against a template. Returns
 * each variable's field path and decoded value, or undefined when it does not
 * match.
 */
export function matchPathTemplate(template: PathTemplate, path: string): Map<string, string> | undefined {
  const parts = splitPath(path);
  return parts === undefined ? undefined : matchPathSegments(template, parts);
}

/** matchPathTemplate over a path already split (a router splits each request's path once). */
export function matchPathSegments(
  template: PathTemplate,
  pathParts: readonly string[],
): Map<string, string> | undefined {
  let parts = pathParts;
  if (template.verb !== undefined) {
    const suffix = `:${template.verb}`;
    const last = parts[parts.length - 1] as string;
    if (!last.endsWith(suffix)) return undefined;
    parts = [...parts.slice(0, -1), last.slice(0, -suffix.length)];
  }
  const { segments } = template;
  if (template.deep ? parts.length < segments.length - 1 : parts.length !== segments.length) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    if (segment.kind === "**") break;
    const part = parts[i] as string;
    if (segment.kind === "literal" ? part !== segment.value : part === "") return undefined;
  }
  const bindings = new Map<string, string>();
  for (const variable of template.variables) {
    const end = variable.end === segments.length && template.deep ? parts.length : variable.end;
    const decoded: string[] = [];
    for (let i = variable.start; i < end; i++) {
      const value = decodeSegment(parts[i] as string);
      if (value === undefined) return undefined;
      decoded.push(value);
    }
    bindings.set(variable.fieldPath, decoded.join("/"));
  }
  return bindings;
}
