/**
 * postgres.js, loaded with this project's connection queue in place of its
 * own. Every module takes the driver from here, never from "postgres" itself:
 * once postgres.js is loaded the replacement cannot happen, so start-up fails
 * if something loaded it first.
 *
 * Why: postgres.js 3.4.9 keeps a pool's connections in array-backed queues
 * whose `shift` leaves an empty slot behind, and an array is only emptied when
 * its last item is shifted out. A pool with two or more connections idle, or
 * all of them busy, never gets there: every query adds a slot for good, and
 * moving a connection between queues scans all of them. On a pool of four,
 * 61,000 one-at-a-time queries left an array of 61,004 slots; in `npm run
 * bench` the product service's and the reference's arrays passed 100,000
 * within a minute, and the scans were a fifth of the product service's CPU. A
 * long-running service would get slower with every query until restarted.
 * connection-queue.ts keeps the same contract with bounded storage.
 *
 * One more fault of 3.4.9 is mended in its source as it loads: every new
 * connection first asks the server for its array types, and nothing handles
 * that query's rejection. A connection ended by the server in that moment
 * (pg_terminate_backend, a restart) thus rejected a promise nobody awaited,
 * which ends a Node process: a chaos run saw services crash-loop on it. The
 * connection's first query fails with the same error (a test shows it), so
 * its caller still hears of it; the type query's rejection is only caught.
 */
import { registerHooks } from "node:module";
import type Postgres from "postgres";

const OWN_QUEUE = new URL("./connection-queue.ts", import.meta.url).href;
const DRIVER_MODULE = /\/node_modules\/postgres\/src\/[^/]+\.js$/;

const CONNECTION_MODULE = /\/node_modules\/postgres\/src\/connection\.js$/;
const UNHANDLED_TYPE_FETCH = "return fetchArrayTypes()";
const HANDLED_TYPE_FETCH = "return fetchArrayTypes().catch(() => {})";

let replaced = false;
let mended = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === "./queue.js" && DRIVER_MODULE.test(context.parentURL ?? "")) {
      replaced = true;
      return { url: OWN_QUEUE, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (!CONNECTION_MODULE.test(url) || loaded.source === undefined) return loaded;
    const source = String(loaded.source);
    if (source.split(UNHANDLED_TYPE_FETCH).length !== 2) return loaded;
    mended = true;
    return { ...loaded, source: source.replace(UNHANDLED_TYPE_FETCH, HANDLED_TYPE_FETCH) };
  },
});

const { default: driver } = await import("postgres");
if (!replaced || !mended) {
  throw new Error(
    "postgres.js was loaded before @skyros/kit/postgres-driver, or no longer loads ./queue.js " +
      "or fetches array types as 3.4.9 does: import the driver from " +
      '"@skyros/kit/postgres-driver", and review that module after an upgrade',
  );
}

/** The postgres.js entry point (its default export). */
export const postgres: typeof Postgres = driver;
