/**
 * The store's queries stay indexed on a catalog of 10,000 products: EXPLAIN of
 * the exact SQL the store sends (captured from the driver) shows the intended
 * index and no sequential scan of products, with the plan PostgreSQL picks for
 * the values (custom) and the one it may cache for prepared statements (generic).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Sql } from "@skyros/kit/database";
import { postgres } from "@skyros/kit/postgres-driver";
import { openMigratedDatabase } from "@skyros/kit/service-runtime";
import { createTestDatabase, testLogger } from "@skyros/kit/testing";
import { createProductStore, type ProductStore } from "../src/store.ts";

let database: { url: string; drop: () => Promise<void> };
let admin: Sql;
let traced: Sql;
let store: ProductStore;
let captured: { query: string; parameters: unknown[] }[] = [];
const seller = "00000000-0000-4000-8000-000000000001";

before(async () => {
  database = await createTestDatabase("product_plans");
  admin = await openMigratedDatabase(database.url, {
    migrationsDir: new URL("../migrations", import.meta.url),
    maxConnections: 2,
    applicationName: "product-plans-test",
    logger: testLogger("product"),
  });
  // 100 sellers, 100 products each, spread over time. Names and descriptions are
  // drawn from 2,000 made-up words (text with as many distinct trigrams as real
  // prose); a few descriptions mention a rare word.
  await admin`
    with vocabulary as (
      select array_agg((select string_agg(chr(97 + floor(random() * 26)::int), '')
                        from generate_series(1, 4 + n % 7) where n > 0)) as words
      from generate_series(1, 2000) as n
    )
    insert into products (id, seller_id, name, description, price, stock, create_time)
    select gen_random_uuid(),
      ('00000000-0000-4000-8000-' || lpad((g % 100 + 1)::text, 12, '0'))::uuid,
      initcap(array_to_string(array[words[1 + g * 7 % 2000], words[1 + g * 13 % 2000], words[1 + g * 29 % 2000]], ' ')),
      case when g % 2000 = 0 then 'a Zanzibar spice box'
           else array_to_string(words[1 + g * 37 % 1990 : 10 + g * 37 % 1990], ' ') end,
      100 + g, 10, now() - g * interval '1 minute'
    from vocabulary, generate_series(1, 10000) as g`;
  await admin`analyze products`;
  traced = postgres(database.url, {
    max: 1,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
    debug: (_connection, query, parameters) => captured.push({ query, parameters }),
  });
  store = createProductStore(traced as unknown as Sql);
  // The driver reads the server's array types on its first connection; get that out of the way.
  await traced`select 1`;
});

after(async () => {
  await traced?.end();
  await admin?.end();
  await database?.drop();
});

/** A parameter value as an SQL literal (test data only), coerced by EXECUTE to the parameter's type. */
function literal(value: unknown): string {
  const text =
    value instanceof Date
      ? value.toISOString()
      : Array.isArray(value)
        ? `{${value.join(",")}}`
        : String(value);
  return `'${text.replaceAll("'", "''")}'`;
}

let statements = 0;

/**
 * The plans of the one query `run` sends through the store: the plan for its
 * values (custom), and, for a statement the driver prepares and PostgreSQL may
 * cache, the plan for any values (generic).
 */
async function plansOf(run: (store: ProductStore) => Promise<unknown>): Promise<string[]> {
  captured = [];
  await run(store);
  // The driver reports a statement when it prepares it and when it runs it.
  assert.equal(new Set(captured.map((entry) => entry.query)).size, 1, "the store sent one query");
  const { query, parameters } = captured[0] as { query: string; parameters: unknown[] };
  const [cached] = await traced`
    select count(*)::int as count from pg_prepared_statements where statement = ${query}`;
  const modes = cached?.count === 1 ? ["force_custom_plan", "force_generic_plan"] : ["force_custom_plan"];
  const plans: string[] = [];
  for (const mode of modes) {
    const name = `planned_${statements++}`;
    await admin.begin(async (tx) => {
      await tx.unsafe(`set local plan_cache_mode = ${mode}`);
      await tx.unsafe(`prepare ${name} as ${query}`);
      const args = parameters.length === 0 ? "" : `(${parameters.map(literal).join(", ")})`;
      const rows = await tx.unsafe(`explain (costs off) execute ${name}${args}`);
      await tx.unsafe(`deallocate ${name}`);
      plans.push(rows.map((row) => row["QUERY PLAN"]).join("\n"));
    });
  }
  return plans;
}

function assertIndexed(plans: readonly string[], ...indexes: string[]) {
  for (const plan of plans) {
    assert.doesNotMatch(plan, /Seq Scan on products/, plan);
    for (const index of indexes) assert.match(plan, new RegExp(`\\b${index}\\b`), plan);
  }
}

const firstPage = { size: 20, after: undefined, offset: 0 };

describe("query plans over 10,000 products", () => {
  test("search uses the trigram indexes on name and description", async () => {
    const plans = await plansOf((s) => s.listProducts({ search: "zanzibar" }, firstPage));
    // Planned afresh for each text: a cached generic plan would not know the word is rare.
    assert.equal(plans.length, 1, "a search is never a cached prepared statement");
    assertIndexed(plans, "products_name_search_idx", "products_description_search_idx");
    const sellers = await plansOf((s) => s.listProducts({ search: "zanzibar", sellerId: seller }, firstPage));
    assertIndexed(sellers, "products_name_search_idx", "products_description_search_idx");
    assert.equal((await store.listProducts({ search: "ZANZIBAR" }, firstPage)).length, 5);
  });

  test("the newest-first list uses its keyset index, on the first page and after a cursor", async () => {
    const plans = await plansOf((s) => s.listProducts({}, firstPage));
    assert.equal(plans.length, 2, "a list is a prepared statement");
    assertIndexed(plans, "products_live_order_idx");
    const [row] = await admin<{ createTime: Date; id: string }[]>`
      select create_time as "createTime", id from products order by create_time desc, id desc offset 5000 limit 1`;
    const after = row as { createTime: Date; id: string };
    assertIndexed(
      await plansOf((s) => s.listProducts({}, { ...firstPage, after })),
      "products_live_order_idx",
    );
  });

  test("a seller's list uses the seller's keyset index", async () => {
    assertIndexed(
      await plansOf((s) => s.listProducts({ sellerId: seller }, firstPage)),
      "products_seller_order_idx",
    );
  });

  test("reading by id uses the primary key", async () => {
    const ids = (await admin<{ id: string }[]>`select id from products limit 3`).map((row) => row.id);
    assertIndexed(await plansOf((s) => s.findProduct(ids[0] as string)), "products_pkey");
    assertIndexed(await plansOf((s) => s.findProducts(ids)), "products_pkey");
  });
});

describe("reserve_stock over 10,000 products", () => {
  test("plans its statements once per connection, not on every call", async () => {
    // With log_planner_stats (superuser), every planning sends the client a
    // "PLANNER STATISTICS" notice. An order's two lines are far fewer than the
    // ten elements a generic plan assumes of an array, so without the
    // function's plan_cache_mode every statement reading the lines was
    // planned anew on every call.
    let plannings = 0;
    const planned = postgres(database.url, {
      max: 1,
      types: { bigint: postgres.BigInt },
      onnotice: (notice) => {
        if (String(notice.message).includes("PLANNER STATISTICS")) plannings++;
      },
      connection: { client_min_messages: "log", log_planner_stats: "on" },
    });
    try {
      const reservations = createProductStore(planned as unknown as Sql);
      const pairs = await admin<{ first: string; second: string }[]>`
        select min(id::text) as first, max(id::text) as second from products
        group by seller_id order by seller_id limit 20`;
      const reserve = (pair: { first: string; second: string } | undefined) =>
        reservations.reserveStock(
          crypto.randomUUID(),
          [
            { productId: pair?.first ?? "", quantity: 1 },
            { productId: pair?.second ?? "", quantity: 1 },
          ],
          { singleSeller: true },
        );
      // The first calls plan, as every prepared statement's do.
      for (const pair of pairs.slice(0, 10)) assert.equal((await reserve(pair)).status, "held");
      plannings = 0;
      for (const pair of pairs.slice(10)) assert.equal((await reserve(pair)).status, "held");
      assert.equal(plannings, 0, "no statement was planned again");
    } finally {
      await planned.end();
    }
  });
});
