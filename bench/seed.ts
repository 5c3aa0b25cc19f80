/**
 * Loads the catalog into the running system. Users who need tokens are
 * registered through the public API (as clients would, argon2 and all); the
 * rest of the users and every product are inserted with SQL into their
 * services' databases, which takes a second instead of minutes.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { postgres } from "@skyros/kit/postgres-driver";
import type { RunningSystem } from "../scripts/system.ts";
import { type Catalog, SEED_PASSWORD, type SeedUser } from "./catalog.ts";
import type { BenchBuyer } from "./scenarios.ts";

/** Registrations in flight: argon2 is CPU-bound, more than a few only queue. */
const REGISTER_CONCURRENCY = 6;

/** The `sub` claim of an access token: the user's id. */
function subjectOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  if (typeof payload.sub !== "string") throw new Error("access token without a subject");
  return payload.sub;
}

type Register = (user: SeedUser) => Promise<string>;

/** Registration through the gateway's REST API, or the user service's gRPC API when there is no gateway. */
function registrar(system: RunningSystem): Register {
  if (system.services.includes("gateway")) {
    return async (user) => {
      const response = await fetch(`${system.gatewayUrl}/v1/users/register/${user.type}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: user.name,
          email: user.email,
          password: SEED_PASSWORD,
          address: user.address,
        }),
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status !== 200)
        throw new Error(`register ${user.email}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { accessToken: string }).accessToken;
    };
  }
  const client = createClient(
    UserService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${system.ports.user}`, defaultTimeoutMs: 30_000 }),
  );
  return async (user) => {
    const tokens = await client.register({
      userType: user.type,
      name: user.name,
      email: user.email,
      password: SEED_PASSWORD,
      address: user.address,
    });
    return tokens.accessToken;
  };
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, lane));
}

/**
 * Seeds users and products; returns the buyers that have access tokens. The
 * sellers and the first `registered - sellers` buyers are registered; their ids
 * in `catalog` are replaced by the ids the user service gave them.
 */
export async function seedSystem(
  system: RunningSystem,
  catalog: Catalog,
  registered: number,
): Promise<BenchBuyer[]> {
  const register = registrar(system);
  const viaApi = [
    ...catalog.sellers,
    ...catalog.buyers.slice(0, Math.max(0, registered - catalog.sellers.length)),
  ];
  const buyers: BenchBuyer[] = [];
  await inParallel(viaApi, REGISTER_CONCURRENCY, async (user) => {
    const token = await register(user);
    user.id = subjectOf(token);
    if (user.type === "buyer") buyers.push({ id: user.id, token });
  });

  const usersDb = postgres(system.databaseUrls.user ?? "", { max: 1, onnotice: () => {} });
  try {
    // The rest log in with the same password: they share one registered user's hash.
    const [hash] = await usersDb<{ password_hash: string }[]>`select password_hash from users limit 1`;
    const rest = catalog.buyers.slice(viaApi.length - catalog.sellers.length).map((user) => ({
      id: user.id,
      email: user.email,
      name: user.name,
      address: user.address,
      type: user.type,
      password_hash: hash?.password_hash ?? "",
    }));
    for (let i = 0; i < rest.length; i += 1_000)
      await usersDb`insert into users ${usersDb(rest.slice(i, i + 1_000))}`;
    await usersDb`analyze users`;
  } finally {
    await usersDb.end();
  }

  const productsDb = postgres(system.databaseUrls.product ?? "", { max: 1, onnotice: () => {} });
  try {
    const now = Date.now();
    const rows = catalog.products.map((product, i) => ({
      id: product.id,
      seller_id: catalog.sellers[product.seller]?.id ?? "",
      name: product.name,
      description: product.description,
      price: product.price,
      stock: product.stock,
      // Distinct creation times, newest last, as if the catalog had grown over a day.
      create_time: new Date(now - 86_400_000 + Math.floor((i * 86_400_000) / catalog.products.length)),
    }));
    for (let i = 0; i < rows.length; i += 1_000) {
      await productsDb`insert into products ${productsDb(rows.slice(i, i + 1_000))}`;
    }
    await productsDb`analyze products`;
  } finally {
    await productsDb.end();
  }
  return buyers;
}
