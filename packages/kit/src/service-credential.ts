/**
 * The credential services present to each other for internal RPCs: a shared
 * secret from configuration, compared in constant time. Internal RPCs are the
 * ones the contracts give no HTTP route, so the rule is read from the
 * descriptors, not listed by hand.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import { hasOption } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { http } from "@skyros/contracts/google/api/annotations_pb.js";
import { permissionDenied, unauthenticated } from "./errors.ts";

export const SERVICE_CREDENTIAL_HEADER = "x-skyros-service-credential";

/** Whether a method is internal: not a health check, and without an HTTP route. */
export function isInternalMethod(method: DescMethod): boolean {
  return method.parent.typeName !== "grpc.health.v1.Health" && !hasOption(method, http);
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Whether `presented` equals `expected`, in time that does not depend on where they differ. */
export function credentialMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Refuses calls to internal methods that do not carry the service credential. */
export function serviceCredentialInterceptor(expected: string): Interceptor {
  return (next) => async (request) => {
    if (isInternalMethod(request.method)) {
      const presented = request.header.get(SERVICE_CREDENTIAL_HEADER);
      if (presented === null) throw unauthenticated("this method is for skyros services only");
      if (!credentialMatches(presented, expected)) throw permissionDenied("bad service credential");
    }
    return next(request);
  };
}
