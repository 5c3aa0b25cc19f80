import assert from "node:assert/strict";
import { test } from "node:test";
import { createAuthorizationCheck } from "../src/auth-check.ts";
import { createTestTokens } from "./test-gateway.ts";

const open = { required: false, roles: [] };
const required = { required: true, roles: ["seller"] };

test("no token: fine where none is required, 401 where one is", async () => {
  const { verifier } = await createTestTokens();
  const check = createAuthorizationCheck(verifier);
  await check(open, undefined);
  await assert.rejects(check(required, undefined), {
    code: 16,
    httpStatus: 401,
    message: "missing bearer access token",
  });
});

test("a presented token must verify; a malformed header is refused", async () => {
  const { verifier } = await createTestTokens();
  const check = createAuthorizationCheck(verifier);
  await assert.rejects(check(open, "Bearer a.b.c"), {
    httpStatus: 401,
    message: "invalid or expired access token",
  });
  await assert.rejects(check(open, "Token abc"), {
    httpStatus: 401,
    message: "malformed authorization header",
  });
});
