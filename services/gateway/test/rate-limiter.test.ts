import assert from "node:assert/strict";
import { test } from "node:test";
import { createRateLimiter } from "../src/rate-limiter.ts";

test("a key may take `max` hits per window, then waits until the window ends", () => {
  let now = 1_000_000;
  const limiter = createRateLimiter({ max: 2, windowMs: 60_000 }, () => now);
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 0);
  assert.equal(limiter.take("a"), 60);
  assert.equal(limiter.take("b"), 0, "keys are counted apart");
  now += 30_500;
  assert.equal(limiter.take("a"), 30);
  now += 30_000;
  assert.equal(limiter.take("a"), 0, "a new window starts");
  limiter.close();
});

test("blockedFor only reads; hit only counts", () => {
  let now = 0;
  const limiter = createRateLimiter({ max: 2, windowMs: 10_000 }, () => now);
  assert.equal(limiter.blockedFor("x"), 0);
  limiter.hit("x");
  assert.equal(limiter.blockedFor("x"), 0);
  limiter.hit("x");
  assert.equal(limiter.blockedFor("x"), 10);
  now = 10_000;
  assert.equal(limiter.blockedFor("x"), 0);
  limiter.close();
});

test("max 0 turns a limit off", () => {
  const limiter = createRateLimiter({ max: 0, windowMs: 1_000 });
  for (let i = 0; i < 100; i++) assert.equal(limiter.take("a"), 0);
  limiter.hit("a");
  assert.equal(limiter.blockedFor("a"), 0);
  limiter.close();
});
