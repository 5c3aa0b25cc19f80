import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  LoginRequestSchema,
  RegisterRequestSchema,
  UserService,
} from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createAuthLimits } from "../src/auth-limits.ts";
import { createMemoryCounterStore } from "../src/counter-store.ts";
import { buildRoutes, type Route } from "../src/route-table.ts";

const routes = buildRoutes([{ name: "user", services: [UserService] }]);
const routeOf = (name: string) => routes.find((route) => route.method.name === name) as Route;
const login = routeOf("Login");
const register = routeOf("Register");
const me = routeOf("GetMe");
const wrongPassword = new ConnectError("wrong email or password", Code.Unauthenticated);

/** Sign-in limits in memory: `failures` failed logins per email, `perAddress` sign-ins per address. */
function limitsInMemory(failures: number, perAddress: number) {
  const store = createMemoryCounterStore();
  const config = {
    failedLoginLimit: { max: failures, windowMs: 60_000 },
    authPerAddressLimit: { max: perAddress, windowMs: 60_000 },
  };
  return { store, limits: createAuthLimits(config, store) };
}

test("failed logins per email: only failures count, and the limit is per address", async () => {
  const { store, limits } = limitsInMemory(2, 100);
  const request = create(LoginRequestSchema, { email: " Ada@Example.com ", password: "x" });
  for (let i = 0; i < 5; i++) {
    await limits.admit(login, request, "10.0.0.1");
    await limits.record(login, request, undefined);
  }
  for (let i = 0; i < 2; i++) {
    await limits.admit(login, request, "10.0.0.1");
    await limits.record(login, request, wrongPassword);
  }
  const sameEmail = create(LoginRequestSchema, { email: "ada@example.com", password: "right" });
  await assert.rejects(() => limits.admit(login, sameEmail, "10.0.0.2"), {
    code: Code.ResourceExhausted,
    httpStatus: 429,
    message: "too many failed logins for this account; try again in 60 s",
    headers: { "retry-after": "60" },
  });
  await limits.admit(login, create(LoginRequestSchema, { email: "bob@example.com" }), "10.0.0.1");
  await store.close();
});

test("login and register per address; other routes are not limited", async () => {
  const { store, limits } = limitsInMemory(10, 3);
  await limits.admit(login, create(LoginRequestSchema, { email: "a@b.co" }), "10.0.0.1");
  await limits.admit(register, create(RegisterRequestSchema, {}), "10.0.0.1");
  await limits.admit(login, create(LoginRequestSchema, { email: "c@d.co" }), "10.0.0.1");
  await assert.rejects(() => limits.admit(register, create(RegisterRequestSchema, {}), "10.0.0.1"), {
    httpStatus: 429,
    message: "too many sign-in attempts from this address; try again in 60 s",
  });
  await limits.admit(register, create(RegisterRequestSchema, {}), "10.0.0.2");
  assert.equal(limits.appliesTo(me), false);
  for (let i = 0; i < 10; i++) await limits.admit(me, create(LoginRequestSchema, {}), "10.0.0.1");
  await store.close();
});

test("a login that did not fail gives its provisional count back; concurrent guesses cannot all pass", async () => {
  const { store, limits } = limitsInMemory(2, 100);
  const request = create(LoginRequestSchema, { email: "eve@example.com", password: "x" });
  const unavailable = new ConnectError("down", Code.Unavailable);
  for (let i = 0; i < 5; i++) {
    await limits.admit(login, request, "10.0.0.1");
    await limits.record(login, request, unavailable);
  }
  const admitted = await Promise.allSettled(
    Array.from({ length: 10 }, () => limits.admit(login, request, "10.0.0.1")),
  );
  assert.equal(admitted.filter((result) => result.status === "fulfilled").length, 2);
  await store.close();
});
