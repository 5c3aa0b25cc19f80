/**
 * How a gRPC client turns what came back (status trailers, an HTTP status,
 * or an HTTP/2 stream reset) into a ConnectError, following the gRPC
 * specification (PROTOCOL-HTTP2 and http-grpc-status-mapping).
 */
import type { IncomingHttpHeaders } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { StatusSchema } from "@skyros/contracts/google/rpc/status_pb.js";
import { unpackDetails } from "./grpc-status.ts";
import { ErrorCode } from "./http2-connection.ts";
import { firstValue } from "./http2-headers.ts";

/** The code for a non-200 HTTP status from something that is not a gRPC server. */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

/** The code for a stream the peer reset before sending a status. */
export function codeFromRstCode(rstCode: number): Code {
  switch (rstCode) {
    case ErrorCode.REFUSED_STREAM:
      return Code.Unavailable;
    case ErrorCode.CANCEL:
      return Code.Canceled;
    case ErrorCode.ENHANCE_YOUR_CALM:
      return Code.ResourceExhausted;
    case ErrorCode.INADEQUATE_SECURITY:
      return Code.PermissionDenied;
    default:
      return Code.Internal;
  }
}

function percentDecode(message: string): string {
  try {
    return decodeURIComponent(message);
  } catch {
    // A peer that percent-encodes badly still said something worth showing.
    return message;
  }
}

/** Any details of google.rpc.Status, as the incoming details findDetails() reads. */
function detailsOf(encoded: string | undefined): ConnectError["details"] {
  if (encoded === undefined) return [];
  try {
    return unpackDetails(fromBinary(StatusSchema, Buffer.from(encoded, "base64")).details);
  } catch {
    // Details are an optional extra; a bad blob must not hide the status itself.
    return [];
  }
}

/**
 * The error that a status (from trailers, or from the headers of a
 * trailers-only response) reports; null for OK, undefined when `fields`
 * carry no status at all.
 */
export function statusError(
  fields: IncomingHttpHeaders,
  metadata: () => Headers,
): ConnectError | null | undefined {
  const status = firstValue(fields["grpc-status"]);
  if (status === undefined) return undefined;
  if (status === "0") return null;
  const code = Number.parseInt(status, 10);
  const known = Number.isInteger(code) && code > 0 && code <= Code.Unauthenticated;
  const error = new ConnectError(
    percentDecode(firstValue(fields["grpc-message"]) ?? ""),
    known ? (code as Code) : Code.Unknown,
    metadata(),
  );
  error.details = detailsOf(firstValue(fields["grpc-status-details-bin"]));
  // As Connect marks errors it parsed: a server relaying this error sends its
  // status and details, not the upstream's other headers.
  error.isWireError = true;
  return error;
}
