import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodePageToken, encodePageToken, MAX_OFFSET, resolvePage, takePage } from "../src/paging.ts";
import { expectDomainError } from "../src/testing.ts";

const request = { pageSize: 0, pageToken: "", limit: 0, offset: 0 };
const fieldOf = (fn: () => unknown) => expectDomainError(fn, "invalid_argument").field;

describe("page tokens", () => {
  test("round-trip a position", () => {
    const cursor = {
      createTime: new Date("2026-01-02T03:04:05.678Z"),
      id: "0b5f3c1e-7d3a-4d8e-9a51-2f6a7c1d9e01",
    };
    const token = encodePageToken(cursor);
    assert.match(token, /^v1\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodePageToken(token), cursor);
  });

  test("a token this code did not make is an InvalidArgument on pageToken", () => {
    for (const bad of [
      "garbage",
      "v2.abc",
      "v1.!!!",
      `v1.${Buffer.from('{"a":1}').toString("base64url")}`,
      "v1.a.b",
      `v1.${Buffer.from(JSON.stringify([-1, "x"])).toString("base64url")}`,
      `v1.${Buffer.from(JSON.stringify([9e15, "x"])).toString("base64url")}`,
    ]) {
      assert.equal(
        fieldOf(() => decodePageToken(bad)),
        "pageToken",
        bad,
      );
    }
  });

  test("an id the caller's check refuses is an InvalidArgument on pageToken", () => {
    const token = encodePageToken({ createTime: new Date(), id: "not-a-uuid" });
    assert.equal(decodePageToken(token).id, "not-a-uuid");
    assert.equal(
      fieldOf(() => decodePageToken(token, (id) => id.length === 36)),
      "pageToken",
    );
    assert.equal(
      fieldOf(() => resolvePage({ ...request, pageToken: token }, (id) => id.length === 36)),
      "pageToken",
    );
  });
});

describe("resolvePage", () => {
  test("defaults to 20 and caps at 100", () => {
    assert.equal(resolvePage(request).size, 20);
    assert.equal(resolvePage({ ...request, pageSize: 5 }).size, 5);
    assert.equal(resolvePage({ ...request, pageSize: 1000 }).size, 100);
  });

  test("accepts the legacy limit and offset", () => {
    assert.deepEqual(resolvePage({ ...request, limit: 7, offset: 14 }), {
      size: 7,
      after: undefined,
      offset: 14,
    });
  });

  test("offsets are bounded: beyond MAX_OFFSET, page tokens are the way", () => {
    assert.equal(resolvePage({ ...request, offset: MAX_OFFSET }).offset, MAX_OFFSET);
    assert.equal(
      fieldOf(() => resolvePage({ ...request, offset: MAX_OFFSET + 1 })),
      "offset",
    );
  });

  test("refuses negative numbers and offset with a token", () => {
    assert.equal(
      fieldOf(() => resolvePage({ ...request, pageSize: -1 })),
      "pageSize",
    );
    assert.equal(
      fieldOf(() => resolvePage({ ...request, offset: -1 })),
      "offset",
    );
    const token = encodePageToken({ createTime: new Date(), id: "x" });
    assert.equal(
      fieldOf(() => resolvePage({ ...request, pageToken: token, offset: 3 })),
      "offset",
    );
  });
});

describe("takePage", () => {
  const rows = Array.from({ length: 3 }, (_, i) => ({ id: `id${i}`, createTime: new Date(3000 - i) }));

  test("a short read is the last page", () => {
    assert.deepEqual(takePage(rows, { size: 3, after: undefined, offset: 0 }), {
      items: rows,
      nextPageToken: "",
    });
  });

  test("one row more than the page size yields a token after the page's last row", () => {
    const page = takePage(rows, { size: 2, after: undefined, offset: 0 });
    assert.deepEqual(page.items, rows.slice(0, 2));
    assert.deepEqual(decodePageToken(page.nextPageToken), { id: "id1", createTime: new Date(2999) });
  });
});
