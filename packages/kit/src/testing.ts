/**
 * Support for the tests of every package: scratch databases on the test
 * PostgreSQL server, quiet loggers, free ports.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import type { Sql } from "./database.ts";
import { DomainError, type ErrorKind } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createScratchDatabase } from "./provisioning.ts";

/** The service credential the tests configure. */
export const TEST_SERVICE_CREDENTIAL = "test-service-credential-0123456789";

/** The superuser URL of the test server (set by `npm test`). */
export function testAdminUrl(): string {
  const url = process.env.SKYROS_TEST_DATABASE_URL;
  if (url === undefined || url === "") {
    throw new Error("SKYROS_TEST_DATABASE_URL is not set: run the tests with `npm test`");
  }
  return url;
}

/** A fresh, empty database for one suite; drop it when the suite ends. */
export function createTestDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  return createScratchDatabase(testAdminUrl(), prefix);
}

/**
 * How many rows of `table` sequential scans have read so far, by the server's
 * count. `sql` must be one connection, the one that ran the statements being
 * measured: its own pending counts are flushed first.
 */
export async function rowsReadBySequentialScans(sql: Sql, table: string): Promise<number> {
  await sql`select pg_stat_force_next_flush()`;
  const [row] = await sql<{ read: string }[]>`
    select seq_tup_read::text as read from pg_stat_user_tables where relname = ${table}`;
  return Number(row?.read);
}

/** A logger for tests: silent unless TEST_LOG_LEVEL is set. */
export function testLogger(service: string): Logger {
  return createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? "silent" });
}

// Below Linux's default ephemeral range (32768-60999): a port picked there could
// be taken by any outgoing connection (to PostgreSQL, say) before the process
// meant to listen on it binds it.
const PORT_RANGE_START = 20_000;
const PORT_RANGE_END = 32_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that is free on 127.0.0.1 now, chosen at random outside the
 * ephemeral range so that parallel test files rarely pick the same one.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE_START + Math.floor(Math.random() * (PORT_RANGE_END - PORT_RANGE_START));
    if (await canListen(port)) return port;
  }
  throw new Error("no free port found");
}

/**
 * Awaits a call that must fail with `code` and, when `field` is given, name
 * that field in its BadRequest detail. Returns the error for further checks.
 */
export async function expectRpcError(
  promise: Promise<unknown>,
  code: Code,
  field?: string,
): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    const connectError = ConnectError.from(error);
    assert.equal(Code[connectError.code], Code[code], connectError.message);
    if (field !== undefined) {
      const [badRequest] = connectError.findDetails(BadRequestSchema);
      assert.equal(badRequest?.fieldViolations[0]?.field, field, connectError.message);
    }
    return connectError;
  }
  assert.fail(`expected ${Code[code]}`);
}

function checkDomainError(error: unknown, kind: ErrorKind, field: string | undefined): DomainError {
  assert.ok(error instanceof DomainError, String(error));
  assert.equal(error.kind, kind, error.message);
  if (field !== undefined) assert.equal(error.field, field, error.message);
  return error;
}

/**
 * Runs `fn`, which must throw a DomainError of `kind` (naming `field`, when
 * given). Returns the error for further checks.
 */
export function expectDomainError(fn: () => unknown, kind: ErrorKind, field?: string): DomainError {
  try {
    fn();
  } catch (error) {
    return checkDomainError(error, kind, field);
  }
  assert.fail(`expected a ${kind} error`);
}

/** Awaits `promise`, which must reject with a DomainError of `kind` (naming `field`, when given). */
export async function expectDomainRejection(
  promise: Promise<unknown>,
  kind: ErrorKind,
  field?: string,
): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return checkDomainError(error, kind, field);
  }
  assert.fail(`expected a ${kind} error`);
}

/** A REST response as tests read it. */
export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies field by field, as a client would
  readonly body: any;
  readonly text: string;
}

export interface JsonRequest {
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as it is (for malformed-input tests); wins over `body`. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

/** Calls an HTTP endpoint the way a REST client does; the body is parsed when it is JSON. */
export async function requestJson(
  url: string,
  method: string,
  request: JsonRequest = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...request.headers };
  const body = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  if (body !== undefined && headers["content-type"] === undefined)
    headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** A repeatable stream of pseudo-random choices, for generated test inputs. */
export interface SeededRandom {
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [0, below). */
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(length: number): Buffer;
}

/** mulberry32: small, and the same sequence from the same seed on every machine. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed | 0;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    bytes: (length: number) => Buffer.from(Array.from({ length }, () => int(256))),
  };
}
