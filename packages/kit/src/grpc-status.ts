/**
 * How our gRPC server writes a failure into trailers (gRPC PROTOCOL-HTTP2):
 * `grpc-status`, a percent-encoded `grpc-message`, and the error's details as a
 * google.rpc.Status in `grpc-status-details-bin`, which is where Connect and
 * grpc-js clients (and so the gateway) find a BadRequest's field violations.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError } from "@connectrpc/connect";
import { StatusSchema } from "@skyros/contracts/google/rpc/status_pb.js";
import { headersToRecord } from "./http2-headers.ts";

const TYPE_URL_PREFIX = "type.googleapis.com/";

/**
 * `message` as the spec asks for `grpc-message`: UTF-8, with bytes outside
 * printable ASCII and `%` itself percent-encoded. Most messages need none.
 */
export function encodeGrpcMessage(message: string): string {
  if (!/[^\x20-\x24\x26-\x7e]/.test(message)) return message;
  let encoded = "";
  for (const byte of Buffer.from(message, "utf8")) {
    encoded +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return encoded;
}

/** An error's details as google.protobuf.Any messages, however each was given. */
export function packDetails(error: ConnectError): Any[] {
  return error.details.map((detail) =>
    "desc" in detail
      ? create(AnySchema, {
          typeUrl: TYPE_URL_PREFIX + detail.desc.typeName,
          value: toBinary(detail.desc, create(detail.desc, detail.value)),
        })
      : create(AnySchema, { typeUrl: TYPE_URL_PREFIX + detail.type, value: detail.value }),
  );
}

/** Any-packed details as a ConnectError holds details it received. */
export function unpackDetails(details: readonly Any[]): ConnectError["details"] {
  return details.map((any) => ({
    type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
    value: any.value,
  }));
}

/** `error` (code, message and details) as google.rpc.Status bytes, to keep and answer again later. */
export function encodeStatus(error: ConnectError): Uint8Array {
  return toBinary(
    StatusSchema,
    create(StatusSchema, { code: error.code, message: error.rawMessage, details: packDetails(error) }),
  );
}

/** The error that encodeStatus kept. */
export function decodeStatus(bytes: Uint8Array): ConnectError {
  const status = fromBinary(StatusSchema, bytes);
  const error = new ConnectError(status.message, status.code as Code);
  error.details.push(...unpackDetails(status.details));
  return error;
}

/** The status trailers for `error`, with its details when it has any, and its metadata. */
export function errorTrailers(error: ConnectError): Record<string, string> {
  const trailers = headersToRecord(error.metadata);
  trailers["grpc-status"] = String(error.code);
  trailers["grpc-message"] = encodeGrpcMessage(error.rawMessage);
  if (error.details.length > 0) {
    // Unpadded base64, as the spec allows and gRPC implementations send.
    trailers["grpc-status-details-bin"] = Buffer.from(encodeStatus(error))
      .toString("base64")
      .replace(/=+$/, "");
  }
  return trailers;
}
