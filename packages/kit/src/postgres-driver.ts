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
 */
import { registerHooks } from "node:module";
import type Postgres from "postgres";

const OWN_QUEUE = new URL("./connection-queue.ts", import.meta.url).href;
const DRIVER_MODULE = /\/node_modules\/postgres\/src\/[^/]+\.js$/;

let replaced = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === "./queue.js" && DRIVER_MODULE.test(context.parentURL ?? "")) {
      replaced = true;
      return { url: OWN_QUEUE, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});

const { default: driver } = await import("postgres");
if (!replaced) {
  throw new Error(
    "postgres.js was loaded before @skyros/kit/postgres-driver, or no longer loads ./queue.js: " +
      'import the driver from "@skyros/kit/postgres-driver", and review that module after an upgrade',
  );
}

/** The postgres.js entry point (its default export). */
export const postgres: typeof Postgres = driver;
