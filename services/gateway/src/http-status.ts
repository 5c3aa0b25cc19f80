/**
 * The one table from gRPC status code to HTTP status, grpc-gateway's. Its
 * choices, written down: FailedPrecondition is 400 (not 412) because the client
 * must change something before retrying; Canceled is 499 (nginx's "client
 * closed request"); Aborted is 409 like AlreadyExists, a conflict to retry.
 *
 * A few failures have an HTTP meaning finer than their gRPC code; services
 * name them with a google.rpc.ErrorInfo reason (domain "skyros"), and a second
 * table gives their status.
 */
import { Code } from "@connectrpc/connect";

const OK = 0;

const httpStatusOfCode: ReadonlyMap<number, number> = new Map([
  [OK, 200],
  [Code.Canceled, 499],
  [Code.Unknown, 500],
  [Code.InvalidArgument, 400],
  [Code.DeadlineExceeded, 504],
  [Code.NotFound, 404],
  [Code.AlreadyExists, 409],
  [Code.PermissionDenied, 403],
  [Code.ResourceExhausted, 429],
  [Code.FailedPrecondition, 400],
  [Code.Aborted, 409],
  [Code.OutOfRange, 400],
  [Code.Unimplemented, 501],
  [Code.Internal, 500],
  [Code.Unavailable, 503],
  [Code.DataLoss, 500],
  [Code.Unauthenticated, 401],
]);

/** The HTTP status for a gRPC code (0 is OK); an unknown code is a 500. */
export function httpStatusFromCode(code: number): number {
  return httpStatusOfCode.get(code) ?? 500;
}

/**
 * ErrorInfo reasons (domain "skyros") with a status of their own: a reused
 * Idempotency-Key with another request is 422, as the IETF draft says.
 */
const httpStatusOfReason: ReadonlyMap<string, number> = new Map([["IDEMPOTENCY_KEY_REUSED", 422]]);

/** The HTTP status for a skyros ErrorInfo reason, if it has one of its own. */
export function httpStatusFromReason(reason: string): number | undefined {
  return httpStatusOfReason.get(reason);
}
