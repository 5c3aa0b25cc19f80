import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { renderConnectError } from "../src/error-body.ts";
import { httpStatusFromCode } from "../src/http-status.ts";

test("every gRPC code maps to grpc-gateway's HTTP status", () => {
  const expected: [number, number][] = [
    [0, 200],
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
  ];
  // The table names every code, 0 to 16, once.
  assert.deepEqual(
    expected.map(([code]) => code).sort((a, b) => a - b),
    Array.from({ length: 17 }, (_, code) => code),
  );
  for (const [code, status] of expected) assert.equal(httpStatusFromCode(code), status, `code ${code}`);
  assert.equal(httpStatusFromCode(99), 500);
});

test("a RetryInfo detail becomes Retry-After, even when the body is masked", () => {
  const later = (code: Code, seconds: bigint, nanos = 0) =>
    renderConnectError(
      new ConnectError("busy at 10.0.0.5:4022", code, undefined, [
        { desc: RetryInfoSchema, value: { retryDelay: { seconds, nanos } } },
      ]),
    );
  const unavailable = later(Code.Unavailable, 2n);
  assert.deepEqual(unavailable.headers, { "retry-after": "2" });
  assert.deepEqual(unavailable.body, { code: Code.Unavailable, message: "service unavailable", details: [] });
  assert.deepEqual(later(Code.Aborted, 0n, 300_000_000).headers, { "retry-after": "1" });
  assert.deepEqual(renderConnectError(new ConnectError("no", Code.Aborted)).headers, {});
});
