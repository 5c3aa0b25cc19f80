/**
 * Conversions between node:http2's header objects and the Headers that
 * Connect's types use, shared by our gRPC server and client.
 */
import type { IncomingHttpHeaders } from "node:http2";

/** Received headers or trailers as Headers, without HTTP/2 pseudo-headers. */
export function toHeaders(fields: IncomingHttpHeaders | undefined, into = new Headers()): Headers {
  if (fields === undefined) return into;
  for (const name in fields) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value === "string") into.append(name, value);
    else for (const item of value) into.append(name, item);
  }
  return into;
}

/** The first value of a received header. */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Headers as the plain object node:http2 sends (joined values). */
export function headersToRecord(headers: Headers | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  headers?.forEach((value, key) => {
    record[key] = value;
  });
  return record;
}
