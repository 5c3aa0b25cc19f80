/**
 * The seeded catalog, generated deterministically so that every run (and the
 * reference server) works on the same shape of data: users (a few sellers, many
 * buyers) and products with searchable names and descriptions and large stock.
 */
import { randomUUID } from "node:crypto";

/** Words that product names and descriptions are made of; searches pick from them. */
export const VOCABULARY: readonly string[] = (
  "amber arctic atlas aurora basalt beacon birch bison bramble breeze canyon cedar cinder cobalt comet " +
  "copper coral cosmos crimson crystal delta dune ember falcon fern fjord flint forest frost galaxy " +
  "garnet glacier granite harbor hazel heron horizon indigo iris ivory jade jasper juniper kestrel " +
  "lagoon lantern lava lichen lotus lunar magma maple marble meadow mesa meteor mint mistral moss " +
  "nebula nectar nimbus oasis obsidian ocean onyx orbit orchid osprey pebble pepper pine plasma " +
  "polar prairie prism quartz quill raven reef ridge river saffron sage sierra slate solstice sparrow " +
  "spruce summit talon thistle thunder tidal timber topaz tundra umber valley velvet vortex walnut " +
  "willow zenith zephyr"
).split(" ");

const KINDS = ["lamp", "chair", "kettle", "backpack", "jacket", "mug", "clock", "blanket", "speaker", "desk"];

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same catalog. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SeedUser {
  /** Set once known: from the access token of a registered user, or generated for inserted ones. */
  id: string;
  readonly email: string;
  readonly name: string;
  readonly address: string;
  readonly type: "buyer" | "seller";
}

export interface SeedProduct {
  readonly id: string;
  /** Index into Catalog.sellers. */
  readonly seller: number;
  readonly name: string;
  readonly description: string;
  readonly price: number;
  readonly stock: number;
}

export interface Catalog {
  readonly sellers: SeedUser[];
  readonly buyers: SeedUser[];
  readonly products: readonly SeedProduct[];
  /** Product indices by seller index, for orders of one seller's products. */
  readonly productsBySeller: readonly (readonly number[])[];
}

/** The password of every seeded user. */
export const SEED_PASSWORD = "bench-password-1";

/** Units on the shelf of every seeded product: enough that no order runs out. */
export const SEED_STOCK = 1_000_000;

/** Generates a catalog of `users` users (`sellers` of them sellers) and `products` products. */
export function generateCatalog(options: { users: number; sellers: number; products: number }): Catalog {
  const random = createRandom(20_261_124);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const run = Date.now().toString(36);
  const user = (type: SeedUser["type"], i: number): SeedUser => ({
    id: randomUUID(),
    email: `${type}${i}.${run}@bench.skyros.test`,
    name: `${pick(VOCABULARY)} ${type} ${i}`,
    address: `${1 + Math.floor(random() * 999)} ${pick(VOCABULARY)} street, ${pick(VOCABULARY)} city`,
    type,
  });
  const sellers = Array.from({ length: options.sellers }, (_, i) => user("seller", i));
  const buyers = Array.from({ length: options.users - options.sellers }, (_, i) => user("buyer", i));
  const productsBySeller: number[][] = sellers.map(() => []);
  const products = Array.from({ length: options.products }, (_, i): SeedProduct => {
    const seller = i % sellers.length;
    productsBySeller[seller]?.push(i);
    const words = Array.from({ length: 8 }, () => pick(VOCABULARY));
    return {
      id: randomUUID(),
      seller,
      name: `${pick(VOCABULARY)} ${pick(VOCABULARY)} ${pick(KINDS)}`,
      description: `A ${words.slice(0, 4).join(" ")} design with ${words.slice(4).join(" ")} details.`,
      price: 100 + Math.floor(random() * 99_900),
      stock: SEED_STOCK,
    };
  });
  return { sellers, buyers, products, productsBySeller };
}
