import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { UserSchema } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { withProfileCache } from "../src/profile-cache.ts";
import type { UserDirectory } from "../src/user-directory.ts";

function countingDirectory() {
  const asked: string[][] = [];
  const directory: UserDirectory = {
    verifier: { verify: async () => ({ userId: "u", role: "buyer" }) },
    async usersByIds(ids) {
      const list = [...ids];
      asked.push(list);
      return new Map(
        list.filter((id) => id !== "ghost").map((id) => [id, create(UserSchema, { id, name: id })]),
      );
    },
  };
  return { directory, asked };
}

test("profiles are fetched once, then reused until they expire", async () => {
  const { directory, asked } = countingDirectory();
  const cached = withProfileCache(directory, { ttlMs: 50, maxEntries: 10, maxStaleMs: 0 });
  assert.deepEqual([...(await cached.usersByIds(["a", "b", "a"])).keys()], ["a", "b"]);
  assert.deepEqual([...(await cached.usersByIds(["b", "c", "ghost"])).keys()], ["b", "c"]);
  assert.deepEqual(asked, [
    ["a", "b"],
    ["c", "ghost"],
  ]);
  await new Promise((resolve) => setTimeout(resolve, 60));
  await cached.usersByIds(["a"]);
  assert.deepEqual(asked.at(-1), ["a"]);
});

/** A directory that answers when told to, or fails. */
function gatedDirectory() {
  let names = "v1";
  let down = false;
  const asked: string[][] = [];
  const directory: UserDirectory = {
    verifier: { verify: async () => ({ userId: "u", role: "buyer" }) },
    async usersByIds(ids) {
      asked.push([...ids]);
      if (down) throw new Error("user service unavailable");
      return new Map([...ids].map((id) => [id, create(UserSchema, { id, name: `${id} ${names}` })]));
    },
  };
  return {
    directory,
    asked,
    rename: (next: string) => {
      names = next;
    },
    setDown: (value: boolean) => {
      down = value;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("past its TTL a profile is served at once while a fresh one is fetched, and while the user service is down", async () => {
  const users = gatedDirectory();
  const cached = withProfileCache(users.directory, { ttlMs: 20, maxEntries: 10, maxStaleMs: 200 });
  assert.equal((await cached.usersByIds(["a"])).get("a")?.name, "a v1");
  await new Promise((resolve) => setTimeout(resolve, 30));

  users.setDown(true);
  assert.equal((await cached.usersByIds(["a"])).get("a")?.name, "a v1", "stale, not an error");
  await settle();
  assert.equal(users.asked.length, 2, "a refresh was tried");

  await cached.usersByIds(["a"]);
  assert.equal(users.asked.length, 2, "no new call right after a failed one");

  users.setDown(false);
  users.rename("v2");
  await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal((await cached.usersByIds(["a"])).get("a")?.name, "a v1", "still the stale one");
  await settle();
  assert.equal((await cached.usersByIds(["a"])).get("a")?.name, "a v2", "refreshed in the background");
  assert.equal(users.asked.length, 3);
});

test("a profile too stale is fetched again before it is served, and the failure is the caller's", async () => {
  const users = gatedDirectory();
  const cached = withProfileCache(users.directory, { ttlMs: 10, maxEntries: 10, maxStaleMs: 20 });
  await cached.usersByIds(["a"]);
  await new Promise((resolve) => setTimeout(resolve, 40));
  users.setDown(true);
  await assert.rejects(cached.usersByIds(["a"]), /user service unavailable/);
});

test("the cache keeps at most maxEntries profiles; a zero TTL turns it off", async () => {
  const { directory, asked } = countingDirectory();
  const cached = withProfileCache(directory, { ttlMs: 60_000, maxEntries: 2 });
  await cached.usersByIds(["a", "b", "c"]);
  await cached.usersByIds(["b", "c"]);
  assert.equal(asked.length, 1);
  await cached.usersByIds(["a"]);
  assert.equal(asked.length, 2);
  assert.equal(withProfileCache(directory, { ttlMs: 0, maxEntries: 2 }), directory);
});
