/** For tests of pure rules: the field an InvalidArgument names. */
import assert from "node:assert/strict";
import { DomainError } from "@skyros/kit/errors";

/** Runs `fn`, which must throw an InvalidArgument DomainError, and returns the field it names. */
export function invalidFieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.kind, "invalid_argument");
    return error.field;
  }
  assert.fail("expected an InvalidArgument");
}
