/**
 * The credential services present to each other for internal RPCs: a shared
 * secret from configuration, compared in constant time. Internal RPCs are the
 * ones the contracts give no HTTP route, so the rule is read from the
 * descriptors, not listed by hand.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import { hasOption } from "@bufbuild/protobuf";
import { http } from "@skyros/contracts/google/api/annotations_pb.js";

export const SERVICE_CREDENTIAL_HEADER = "x-skyros-service-credential";

/** Whether a method is internal: not a health check, and without an HTTP route. */
export function isInternalMethod(method: DescMethod): boolean {
  return method.parent.typeName !== "grpc.health.v1.Health" && !hasOption(method, http);
}

// Comparing fixed-length digests keeps the time independent of where, and of how long, the values differ.
const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * A check of presented credentials against `expected`, in constant time. The
 * expected digest is computed once here, not on every call.
 */
export function credentialMatcher(expected: string): (presented: string) => boolean {
  const expectedDigest = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), expectedDigest);
}
