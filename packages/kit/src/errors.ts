/**
 * The errors a service's domain can raise, and the one place where each kind
 * becomes a gRPC code. Anything else that escapes a handler is an internal
 * error: it is logged with its cause and sent as a bare `Internal`.
 */

import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, RetryInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { isDatabaseUnavailable } from "./database.ts";

export type ErrorKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "unauthenticated"
  | "failed_precondition"
  | "aborted"
  | "resource_exhausted"
  | "unavailable";

const codeOfKind: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/** An expected failure, with a message that is safe to show the client. */
export class DomainError extends Error {
  override name = "DomainError";
  readonly kind: ErrorKind;
  /** The request field at fault, for invalid arguments (lowerCamelCase path). */
  readonly field: string | undefined;
  /** When the same request may succeed if repeated: after this many seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.kind = kind;
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A request field with a bad value; the message should say what is expected. */
export const invalidArgument = (field: string, message: string) =>
  new DomainError("invalid_argument", `${field}: ${message}`, { field });
export const notFound = (message: string) => new DomainError("not_found", message);
export const alreadyExists = (message: string) => new DomainError("already_exists", message);
export const permissionDenied = (message: string) => new DomainError("permission_denied", message);
export const unauthenticated = (message: string) => new DomainError("unauthenticated", message);
export const failedPrecondition = (message: string) => new DomainError("failed_precondition", message);
/** A conflict with a request in flight; with `retryAfterSeconds`, worth repeating then. */
export const aborted = (message: string, retryAfterSeconds?: number) =>
  new DomainError("aborted", message, { retryAfterSeconds });
/** A limit reached; worth repeating after `retryAfterSeconds`. */
export const resourceExhausted = (message: string, retryAfterSeconds?: number) =>
  new DomainError("resource_exhausted", message, { retryAfterSeconds });
export const unavailable = (message: string, retryAfterSeconds?: number) =>
  new DomainError("unavailable", message, { retryAfterSeconds });

/**
 * The ConnectError to send for a DomainError: a BadRequest detail naming the
 * field, a RetryInfo detail saying when to repeat the request (the gateway
 * turns it into Retry-After).
 */
export function domainErrorToConnect(error: DomainError): ConnectError {
  const details: ConstructorParameters<typeof ConnectError>[3] = [];
  if (error.field !== undefined) {
    details.push({
      desc: BadRequestSchema,
      value: { fieldViolations: [{ field: error.field, description: error.message }] },
    });
  }
  if (error.retryAfterSeconds !== undefined) {
    details.push({
      desc: RetryInfoSchema,
      value: { retryDelay: { seconds: BigInt(Math.ceil(error.retryAfterSeconds)) } },
    });
  }
  return new ConnectError(error.message, codeOfKind[error.kind], undefined, details);
}

/**
 * Turns whatever a handler threw into what the client may see: ConnectErrors
 * pass unchanged, DomainErrors get their code, anything else is reported as
 * `unexpected` and becomes a bare Internal error, except the database being
 * out of reach, which is a plain Unavailable worth retrying in a second.
 */
export function toPublicError(error: unknown, unexpected: (error: unknown) => void): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof DomainError) return domainErrorToConnect(error);
  unexpected(error);
  if (isDatabaseUnavailable(error)) {
    return domainErrorToConnect(unavailable("service unavailable; try again shortly", 1));
  }
  return new ConnectError("internal error", Code.Internal);
}
