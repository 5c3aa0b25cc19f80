import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, RetryInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import {
  aborted,
  alreadyExists,
  type DomainError,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  toPublicError,
  unauthenticated,
  unavailable,
} from "../src/errors.ts";
import { postgres } from "../src/postgres-driver.ts";

describe("toPublicError", () => {
  test("each domain error kind gets its gRPC code", () => {
    const cases: [DomainError, Code][] = [
      [invalidArgument("name", "is required"), Code.InvalidArgument],
      [notFound("no such product"), Code.NotFound],
      [alreadyExists("taken"), Code.AlreadyExists],
      [permissionDenied("sellers only"), Code.PermissionDenied],
      [unauthenticated("no token"), Code.Unauthenticated],
      [failedPrecondition("order is shipped"), Code.FailedPrecondition],
      [aborted("try again"), Code.Aborted],
    ];
    for (const [error, code] of cases) {
      const unexpected: unknown[] = [];
      const publicError = toPublicError(error, (cause) => unexpected.push(cause));
      assert.equal(publicError.code, code);
      assert.equal(publicError.rawMessage, error.message);
      assert.deepEqual(unexpected, []);
    }
  });

  test("an error worth repeating later carries a RetryInfo detail", () => {
    for (const error of [aborted("busy", 2), unavailable("down", 1.5)]) {
      const publicError = toPublicError(error, () => {});
      assert.equal(publicError.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds, 2n);
    }
    assert.deepEqual(toPublicError(aborted("lost"), () => {}).findDetails(RetryInfoSchema), []);
  });

  test("an invalid argument carries a BadRequest detail naming the field", () => {
    const publicError = toPublicError(invalidArgument("items[0].quantity", "must be positive"), () => {});
    const [detail] = publicError.findDetails(BadRequestSchema);
    assert.equal(detail?.fieldViolations[0]?.field, "items[0].quantity");
  });

  test("anything unexpected becomes a bare Internal, and its cause is reported", () => {
    const cause = new Error('relation "users" does not exist at 10.0.0.5');
    const reported: unknown[] = [];
    const publicError = toPublicError(cause, (error) => reported.push(error));
    assert.equal(publicError.code, Code.Internal);
    assert.equal(publicError.rawMessage, "internal error");
    assert.deepEqual(reported, [cause]);
  });

  test("a database out of reach is a bare Unavailable worth repeating; a refused statement stays Internal", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), { code: "ECONNREFUSED" });
    const closed = Object.assign(new Error("write CONNECTION_CLOSED db.internal:5432"), {
      code: "CONNECTION_CLOSED",
    });
    const shutdown = new postgres.PostgresError({
      code: "57P01",
      message: "terminating connection",
    } as never);
    const full = new postgres.PostgresError({ code: "53300", message: "too many clients" } as never);
    const idle = new postgres.PostgresError({ code: "57P05", message: "idle-session timeout" } as never);
    for (const cause of [refused, closed, shutdown, full, idle]) {
      const reported: unknown[] = [];
      const publicError = toPublicError(cause, (error) => reported.push(error));
      assert.equal(publicError.code, Code.Unavailable, cause.message);
      assert.equal(publicError.rawMessage, "service unavailable; try again shortly");
      assert.equal(publicError.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds, 1n);
      assert.deepEqual(reported, [cause], "still logged with its cause");
    }
    const badInput = new postgres.PostgresError({ code: "22P02", message: "invalid input syntax" } as never);
    assert.equal(toPublicError(badInput, () => {}).code, Code.Internal);
    const garbled = new postgres.PostgresError({ code: "08P01", message: "protocol violation" } as never);
    assert.equal(toPublicError(garbled, () => {}).code, Code.Internal, "a retry would repeat it");
  });

  test("ConnectErrors (e.g. from a downstream call) pass unchanged", () => {
    const downstream = new ConnectError("product service unavailable", Code.Unavailable);
    assert.equal(
      toPublicError(downstream, () => assert.fail()),
      downstream,
    );
  });
});
