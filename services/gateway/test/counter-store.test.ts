import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type CounterStore,
  createFallbackCounterStore,
  createMemoryCounterStore,
  type FallbackListener,
} from "../src/counter-store.ts";

test("memory windows open on the first hit, count, and end after windowMs", async () => {
  let now = 5_000;
  const store = createMemoryCounterStore({ now: () => now });
  await store.decrement("l", "a");
  assert.deepEqual(await store.increment("l", "a", 1_000), { count: 1, resetInMs: 1_000 });
  now += 400;
  assert.deepEqual(await store.increment("l", "a", 1_000), { count: 2, resetInMs: 600 });
  await store.decrement("l", "a");
  assert.deepEqual(await store.increment("l", "a", 1_000), { count: 2, resetInMs: 600 });
  assert.deepEqual(
    await store.increment("other", "a", 1_000),
    { count: 1, resetInMs: 1_000 },
    "limits apart",
  );
  now += 600;
  assert.deepEqual(await store.increment("l", "a", 1_000), { count: 1, resetInMs: 1_000 }, "a new window");
  await store.close();
});

/** A store of our own interface that fails while `down` is set: the shared store's outage. */
function flakyStore(inner: CounterStore) {
  const state = { down: false, calls: 0 };
  const guard = <T>(answer: () => Promise<T>) => {
    state.calls += 1;
    return state.down ? Promise.reject(new Error("connection refused")) : answer();
  };
  const store: CounterStore = {
    increment: (limit, subject, windowMs) => guard(() => inner.increment(limit, subject, windowMs)),
    decrement: (limit, subject) => guard(() => inner.decrement(limit, subject)),
    close: () => inner.close(),
  };
  return { store, state };
}

test("the fallback answers while the primary fails, and each change is told once", async () => {
  const shared = flakyStore(createMemoryCounterStore());
  const local = createMemoryCounterStore();
  const events: Parameters<FallbackListener>[0][] = [];
  let now = 0;
  const store = createFallbackCounterStore(shared.store, local, (event) => events.push(event), {
    probeAfterMs: 1_000,
    now: () => now,
  });

  assert.equal((await store.increment("l", "a", 60_000)).count, 1);
  assert.equal((await store.increment("l", "a", 60_000)).count, 2);
  assert.equal(events.length, 0);

  shared.state.down = true;
  assert.equal((await store.increment("l", "a", 60_000)).count, 1, "counted in memory from zero");
  assert.equal((await store.increment("l", "a", 60_000)).count, 2);
  await store.decrement("l", "a");
  assert.equal((await store.increment("l", "a", 60_000)).count, 2);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.usingFallback, true);
  assert.match(String(events[0]?.error), /connection refused/);

  const callsBefore = shared.state.calls;
  shared.state.down = false;
  assert.equal((await store.increment("l", "a", 60_000)).count, 3, "memory, until the next probe");
  assert.equal(shared.state.calls, callsBefore, "the failing primary is left alone meanwhile");
  now += 1_000;
  assert.equal((await store.increment("l", "a", 60_000)).count, 3, "the shared count resumes");
  assert.equal(shared.state.calls, callsBefore + 1, "the primary is asked again once due");
  assert.deepEqual(events[1], { usingFallback: false });
  assert.equal(events.length, 2);
  await store.close();
});

test("memory windows keep a fixed-size name for a subject, however long the subject", async () => {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const collect = runInNewContext("gc") as () => void;
  const store = createMemoryCounterStore();
  collect();
  const before = process.memoryUsage().heapUsed;
  // 400 subjects of 100 KB, as a login body may name an email: 40 MB if kept as sent.
  for (let i = 0; i < 400; i++)
    await store.increment("failed-login", `${i}-${"a".repeat(100_000)}@x.io`, 60_000);
  collect();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 4_000_000, `the store grew by ${grown} bytes`);
  assert.equal((await store.increment("failed-login", `7-${"a".repeat(100_000)}@x.io`, 60_000)).count, 2);
  await store.close();
});
