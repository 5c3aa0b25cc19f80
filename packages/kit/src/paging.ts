/**
 * Keyset pagination over (create_time, id), newest first. Page tokens are opaque
 * to clients: a version, then the position as base64url JSON. A token stays
 * valid while rows are inserted, because it names a position, not an offset.
 */
import { invalidArgument } from "./errors.ts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const TOKEN_VERSION = "v1";
/** The last instant a token may name: the end of year 9999, as far as PostgreSQL timestamps go in practice. */
const MAX_TOKEN_TIME = Date.UTC(10_000, 0, 1) - 1;

/** The last row of a page: the next page starts strictly after it. */
export interface Cursor {
  readonly createTime: Date;
  readonly id: string;
}

/** Paging fields as they arrive in a list request. */
export interface PageRequest {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly limit: number;
  readonly offset: number;
}

/** What a store needs to read one page. */
export interface Page {
  readonly size: number;
  readonly after: Cursor | undefined;
  /** Rows to skip first; only the legacy limit/offset style sets it. */
  readonly offset: number;
}

/** Encodes a cursor as a page token. */
export function encodePageToken(cursor: Cursor): string {
  const payload = JSON.stringify([cursor.createTime.getTime(), cursor.id]);
  return `${TOKEN_VERSION}.${Buffer.from(payload).toString("base64url")}`;
}

/**
 * Decodes a page token; a token this code did not make is an InvalidArgument,
 * and so is one whose id `isId` (when given) refuses.
 */
export function decodePageToken(token: string, isId?: (id: string) => boolean): Cursor {
  const bad = () => invalidArgument("pageToken", "is not a valid page token");
  const [version, payload, extra] = token.split(".");
  if (version !== TOKEN_VERSION || payload === undefined || extra !== undefined || token.length > 200)
    throw bad();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    !Number.isSafeInteger(decoded[0]) ||
    decoded[0] < 0 ||
    decoded[0] > MAX_TOKEN_TIME ||
    typeof decoded[1] !== "string" ||
    decoded[1].length > 64 ||
    (isId !== undefined && !isId(decoded[1]))
  ) {
    throw bad();
  }
  return { createTime: new Date(decoded[0]), id: decoded[1] };
}

/** Legacy offsets make the database skip rows one by one; beyond this, page tokens are the way. */
export const MAX_OFFSET = 10_000;

/**
 * Resolves the paging fields of a request. `pageSize` defaults to 20 and is
 * capped at 100 (as Google's API guidelines do, rather than refusing); the
 * legacy `limit` stands in for `pageSize`, and `offset` skips rows (at most
 * MAX_OFFSET of them). `isId`, when
 * given, checks the id in the page token (e.g. isUuid), so that a forged token
 * is an InvalidArgument rather than a database error.
 */
export function resolvePage(request: PageRequest, isId?: (id: string) => boolean): Page {
  if (request.pageSize < 0) throw invalidArgument("pageSize", "must not be negative");
  if (request.limit < 0) throw invalidArgument("limit", "must not be negative");
  if (request.offset < 0) throw invalidArgument("offset", "must not be negative");
  if (request.offset > MAX_OFFSET) throw invalidArgument("offset", `must be at most ${MAX_OFFSET}`);
  const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken, isId);
  if (after !== undefined && request.offset > 0) {
    throw invalidArgument("offset", "cannot be combined with pageToken");
  }
  const requested = request.pageSize || request.limit || DEFAULT_PAGE_SIZE;
  return { size: Math.min(requested, MAX_PAGE_SIZE), after, offset: request.offset };
}

/**
 * Splits the rows a store read (it reads `page.size + 1`) into the page and the
 * token of the next one (empty on the last page).
 */
export function takePage<T extends { createTime: Date; id: string }>(
  rows: readonly T[],
  page: Page,
): { items: T[]; nextPageToken: string } {
  if (rows.length <= page.size) return { items: [...rows], nextPageToken: "" };
  const items = rows.slice(0, page.size);
  const last = items[items.length - 1] as T;
  return { items, nextPageToken: encodePageToken({ createTime: last.createTime, id: last.id }) };
}
