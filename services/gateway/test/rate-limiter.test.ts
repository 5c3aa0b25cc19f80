import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryCounterStore } from "../src/counter-store.ts";
import { createRateLimiter } from "../src/rate-limiter.ts";

test("a subject may take `max` hits per window, then waits until the window ends", async () => {
  let now = 1_000_000;
  const store = createMemoryCounterStore({ now: () => now });
  const limiter = createRateLimiter("test", { max: 2, windowMs: 60_000 }, store);
  assert.equal(await limiter.take("a"), 0);
  assert.equal(await limiter.take("a"), 0);
  assert.equal(await limiter.take("a"), 60);
  assert.equal(await limiter.take("b"), 0, "subjects are counted apart");
  now += 30_500;
  assert.equal(await limiter.take("a"), 30);
  now += 30_000;
  assert.equal(await limiter.take("a"), 0, "a new window starts");
  await store.close();
});

test("giveBack takes back a hit, never below zero, within the window", async () => {
  let now = 0;
  const store = createMemoryCounterStore({ now: () => now });
  const limiter = createRateLimiter("test", { max: 1, windowMs: 10_000 }, store);
  assert.equal(await limiter.take("x"), 0);
  await limiter.giveBack("x");
  assert.equal(await limiter.take("x"), 0, "the hit given back left room");
  assert.equal(await limiter.take("x"), 10);
  await limiter.giveBack("x");
  await limiter.giveBack("x");
  await limiter.giveBack("x");
  assert.equal(await limiter.take("x"), 0, "no lower than zero");
  assert.equal(await limiter.take("x"), 10);
  now = 10_000;
  await limiter.giveBack("x");
  assert.equal(await limiter.take("x"), 0, "a new window");
  await store.close();
});

test("limits sharing a store count apart by name", async () => {
  const store = createMemoryCounterStore();
  const first = createRateLimiter("first", { max: 1, windowMs: 60_000 }, store);
  const second = createRateLimiter("second", { max: 1, windowMs: 60_000 }, store);
  assert.equal(await first.take("a"), 0);
  assert.equal(await second.take("a"), 0);
  assert.equal(await first.take("a"), 60);
  await store.close();
});

test("max 0 turns a limit off and never touches the store", async () => {
  const store = createMemoryCounterStore();
  const limiter = createRateLimiter("off", { max: 0, windowMs: 1_000 }, store);
  for (let i = 0; i < 100; i++) assert.equal(await limiter.take("a"), 0);
  await limiter.giveBack("a");
  assert.equal((await store.increment("off", "a", 1_000)).count, 1, "nothing was counted");
  await store.close();
});
