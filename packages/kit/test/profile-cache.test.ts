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
  const cached = withProfileCache(directory, { ttlMs: 50, maxEntries: 10 });
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
