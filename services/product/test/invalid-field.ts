/** For tests of pure rules: the field an InvalidArgument names. */
import { expectDomainError } from "@skyros/kit/testing";

/** Runs `fn`, which must throw an InvalidArgument DomainError, and returns the field it names. */
export const invalidFieldOf = (fn: () => unknown): string | undefined =>
  expectDomainError(fn, "invalid_argument").field;
