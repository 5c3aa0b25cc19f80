/**
 * Idempotency-Key support (IETF httpapi draft semantics): a key names the first
 * request a buyer sent with it; a repeat with the same request gets that
 * request's outcome, a repeat with a different request is refused.
 */
import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { invalidArgument } from "@skyros/kit/errors";
import type { OrderInput } from "./order-building.ts";

/** The header the gateway forwards as gRPC metadata. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The ErrorInfo reason of a key reused with another request; the gateway answers it with HTTP 422. */
export const IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";

const printableAscii = /^[\x21-\x7e]+$/;

/** The request's Idempotency-Key, if it sent one: 1 to 255 visible ASCII characters. */
export function idempotencyKeyFrom(headers: Headers): string | undefined {
  const value = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (value === null) return undefined;
  const key = value.trim();
  if (key === "" || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !printableAscii.test(key)) {
    throw invalidArgument(
      "Idempotency-Key",
      `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters`,
    );
  }
  return key;
}

/**
 * SHA-256 of the canonical form of a validated request: its fields in a fixed
 * order, after trimming and merging lines, so that two bodies that ask for the
 * same order hash alike whatever their JSON spelling.
 */
export function requestHash(input: OrderInput): Buffer {
  const canonical = JSON.stringify([
    input.description,
    input.destinationAddress,
    input.items.map((line) => [line.productId, line.quantity]),
  ]);
  return createHash("sha256").update(canonical).digest();
}

/** The error for a key already used with a different request (HTTP 422 at the gateway). */
export function idempotencyKeyReused(): ConnectError {
  return new ConnectError(
    "this Idempotency-Key was already used with a different request",
    Code.FailedPrecondition,
    undefined,
    [{ desc: ErrorInfoSchema, value: { reason: IDEMPOTENCY_KEY_REUSED, domain: "skyros" } }],
  );
}
