import assert from "node:assert/strict";
import { test } from "node:test";
import createConnectionQueue from "../src/connection-queue.ts";

test("first in, first out; remove takes an item from anywhere; misses are undefined and null", () => {
  const queue = createConnectionQueue<string>();
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.push("a"), "a");
  queue.push("b");
  queue.push("c");
  queue.push("d");
  assert.equal(queue.length, 4);
  assert.equal(queue.remove("c"), "c");
  assert.equal(queue.remove("c"), null);
  assert.equal(queue.shift(), "a");
  assert.equal(queue.remove("a"), null, "a shifted item is no longer queued");
  assert.equal(queue.shift(), "b");
  assert.equal(queue.shift(), "d");
  assert.equal(queue.length, 0);
  assert.equal(queue.shift(), undefined);
});

test("a pool's round trip (shift an idle connection, push it back) keeps the storage bounded", () => {
  const queue = createConnectionQueue<number>();
  for (let connection = 0; connection < 4; connection++) queue.push(connection);
  for (let query = 0; query < 100_000; query++) {
    const connection = queue.shift() as number;
    queue.push(connection);
  }
  assert.equal(queue.length, 4);
  assert.ok(queue.storage < 8, `storage ${queue.storage}`);
  assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift()], [0, 1, 2, 3]);
});

test("random pushes, shifts and removes agree with an array and keep storage under twice the length", () => {
  // A fixed-seed generator: the same sequence on every run.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const queue = createConnectionQueue<number>();
  const model: number[] = [];
  let next = 0;
  for (let step = 0; step < 50_000; step++) {
    const roll = random();
    if (roll < 0.45) {
      assert.equal(queue.push(next), next);
      model.push(next++);
    } else if (roll < 0.85) {
      assert.equal(queue.shift(), model.shift());
    } else {
      const item = Math.floor(random() * next);
      const at = model.indexOf(item);
      if (at !== -1) model.splice(at, 1);
      assert.equal(queue.remove(item), at === -1 ? null : item);
    }
    assert.equal(queue.length, model.length);
    assert.ok(queue.storage === 0 ? model.length === 0 : queue.storage < 2 * model.length, `step ${step}`);
  }
});
