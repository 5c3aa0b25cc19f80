/**
 * Error responses: every failure is a google.rpc.Status in JSON, `{code,
 * message, details}`, whatever produced it (a service, the gateway's own
 * checks, Fastify). Internal details never reach the client.
 */
import { createRegistry, type JsonValue, toJson } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  file_google_rpc_error_details,
  RetryInfoSchema,
} from "@skyros/contracts/google/rpc/error_details_pb.js";
import { packDetails } from "@skyros/kit/grpc-status";
import { httpStatusFromCode, httpStatusFromReason } from "./http-status.ts";

/** The JSON body of an error response. */
export interface StatusBody {
  readonly code: number;
  readonly message: string;
  readonly details: readonly JsonValue[];
}

/** An error the gateway answers with itself; `httpStatus` overrides the table (413, 405). */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly code: Code;
  readonly httpStatus: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The request field at fault (its JSON path), sent as a BadRequest detail as services do. */
  readonly field: string | undefined;

  constructor(
    code: Code,
    message: string,
    options: { httpStatus?: number; headers?: Record<string, string>; field?: string } = {},
  ) {
    super(message);
    this.code = code;
    this.httpStatus = options.httpStatus ?? httpStatusFromCode(code);
    this.headers = options.headers ?? {};
    this.field = options.field;
  }
}

/** A request field the gateway could not read; the message names it. */
export const badField = (field: string, problem: string) =>
  new GatewayError(Code.InvalidArgument, `invalid value for field "${field}": ${problem}`, { field });

// The detail types services may attach (google.rpc error details); others are dropped.
const detailRegistry = createRegistry(file_google_rpc_error_details);

/**
 * Codes whose messages may carry internals (stack traces, addresses, SQL): the
 * client gets a fixed message for them instead.
 */
const maskedMessages: ReadonlyMap<Code, string> = new Map([
  [Code.Unknown, "internal error"],
  [Code.Internal, "internal error"],
  [Code.DataLoss, "internal error"],
  [Code.Unavailable, "service unavailable"],
  [Code.DeadlineExceeded, "deadline exceeded"],
]);

function detailsOf(error: ConnectError): JsonValue[] {
  const details: JsonValue[] = [];
  for (const any of packDetails(error)) {
    const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
    if (detailRegistry.getMessage(typeName) === undefined) continue;
    try {
      details.push(toJson(AnySchema, any, { registry: detailRegistry }));
    } catch {
      // A detail that does not decode tells the client nothing: it is dropped.
    }
  }
  return details;
}

/** The 404 of a method and path that no route serves. */
export const noRoute = (method: string, path: string) =>
  new GatewayError(Code.NotFound, `no route for ${method} ${path.slice(0, 200)}`);

/** When to try again after an Unavailable that says nothing of it (a service down or restarting). */
const UNAVAILABLE_RETRY_SECONDS = 1;

/**
 * The HTTP status, body and headers for a service's error. A RetryInfo detail
 * becomes Retry-After, also when the message and details are masked; every 503
 * carries one, since Unavailable is the code a client should retry.
 */
export function renderConnectError(error: ConnectError): {
  status: number;
  body: StatusBody;
  headers: Record<string, string>;
} {
  const info = error.details.length === 0 ? undefined : error.findDetails(ErrorInfoSchema)[0];
  const special = info?.domain === "skyros" ? httpStatusFromReason(info.reason) : undefined;
  const delay = error.details.length === 0 ? undefined : error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const retrySeconds =
    delay !== undefined
      ? Math.ceil(Number(delay.seconds) + delay.nanos / 1e9)
      : error.code === Code.Unavailable
        ? UNAVAILABLE_RETRY_SECONDS
        : 0;
  return {
    headers: retrySeconds > 0 ? { "retry-after": String(retrySeconds) } : {},
    status: special ?? httpStatusFromCode(error.code),
    body: {
      code: error.code,
      message: maskedMessages.get(error.code) ?? error.rawMessage,
      details: maskedMessages.has(error.code) ? [] : detailsOf(error),
    },
  };
}

/** The HTTP status and body for an error the gateway raised itself. */
export function renderGatewayError(error: GatewayError): { status: number; body: StatusBody } {
  const details: JsonValue[] =
    error.field === undefined
      ? []
      : [
          {
            "@type": `type.googleapis.com/${BadRequestSchema.typeName}`,
            fieldViolations: [{ field: error.field, description: error.message }],
          },
        ];
  return { status: error.httpStatus, body: { code: error.code, message: error.message, details } };
}

/** The body for anything unexpected: a bare Internal; the cause goes to the log only. */
export const internalErrorBody: StatusBody = { code: Code.Internal, message: "internal error", details: [] };
