/**
 * PostgreSQL access (postgres.js). Each service owns one database; its store
 * module is the only code that writes SQL.
 */
import type { Socket } from "node:net";
import type { Sql as DriverSql, TransactionSql as DriverTransactionSql } from "postgres";
import { postgres } from "./postgres-driver.ts";

export type Sql = DriverSql<{ bigint: bigint }>;
export type TransactionSql = DriverTransactionSql<{ bigint: bigint }>;

export interface DatabaseOptions {
  /** Pool size; match it to the cores of the database server, not the load. */
  readonly maxConnections: number;
  readonly applicationName: string;
  /** Run-time settings every connection starts with (e.g. synchronous_commit). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Opens each connection's socket, connected (the driver's own by default). */
  readonly socket?: (target: { host: string[]; port: number[]; path: string | false }) => Promise<Socket>;
}

/** A connection pool. int8 columns arrive as bigint, the type protobuf int64 fields use. */
export function createDatabase(url: string, options: DatabaseOptions): Sql {
  return postgres(url, {
    max: options.maxConnections,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
    connection: { ...options.settings, application_name: options.applicationName },
    ...(options.socket === undefined ? {} : { socket: options.socket }),
  } as Parameters<typeof postgres>[1]) as unknown as Sql;
}

/** Whether an error is PostgreSQL's unique violation (optionally on one constraint). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return (
    error instanceof postgres.PostgresError &&
    error.code === "23505" &&
    (constraint === undefined || error.constraint_name === constraint)
  );
}

// How the driver and the network say a server cannot be reached or went away.
const unreachableCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
// PostgreSQL's own: connection exceptions (class 08, but for a protocol
// violation, which a retry repeats), shutting down or starting up
// (57P01-57P03), an idle session ended (57P05), no connection slots left (53300).
const unavailableStates = /^(?:08(?!P01)...|57P0[1235]|53300)$/;

/**
 * Whether an error means the database cannot serve at all right now (down,
 * restarting, unreachable, out of connections), as opposed to refusing one
 * statement: worth an Unavailable that the client may retry, not an Internal.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) return unavailableStates.test(error.code);
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && unreachableCodes.has(code);
}
