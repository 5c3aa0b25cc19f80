/**
 * The hop-free reference's tables and their seed: the same catalog as the
 * system's, in one database of the same PostgreSQL server.
 */
import { postgres } from "@skyros/kit/postgres-driver";
import type { Catalog } from "./catalog.ts";

const SCHEMA = `
create table users (
  id uuid primary key,
  email text not null,
  name text not null,
  address text not null,
  type text not null
);
create table products (
  id uuid primary key,
  seller_id uuid not null references users (id),
  name text not null,
  description text not null,
  price bigint not null check (price > 0),
  stock integer not null check (stock >= 0),
  create_time timestamptz(3) not null default now(),
  update_time timestamptz(3) not null default now()
) with (fillfactor = 90); -- as the product service's (its migration 0005): room for heap-only stock updates
create table orders (
  id uuid primary key,
  buyer_id uuid not null,
  seller_id uuid not null,
  status text not null,
  description text not null,
  destination_address text not null,
  total_price bigint not null,
  create_time timestamptz(3) not null default now(),
  update_time timestamptz(3) not null default now()
);
create table order_items (
  order_id uuid not null references orders (id),
  product_id uuid not null,
  name text not null,
  unit_price bigint not null,
  quantity integer not null check (quantity > 0),
  primary key (order_id, product_id)
);
`;

/** Creates the reference's tables in an empty database and loads the catalog into them. */
export async function seedReference(url: string, catalog: Catalog): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(SCHEMA);
    const users = [...catalog.sellers, ...catalog.buyers].map(({ id, email, name, address, type }) => ({
      id,
      email,
      name,
      address,
      type,
    }));
    for (let i = 0; i < users.length; i += 1_000)
      await sql`insert into users ${sql(users.slice(i, i + 1_000))}`;
    const products = catalog.products.map((product) => ({
      id: product.id,
      seller_id: catalog.sellers[product.seller]?.id ?? "",
      name: product.name,
      description: product.description,
      price: product.price,
      stock: product.stock,
    }));
    for (let i = 0; i < products.length; i += 1_000) {
      await sql`insert into products ${sql(products.slice(i, i + 1_000))}`;
    }
    // The seeded tables only, as the system's seeding does. Analyzing the empty
    // order tables recorded them as empty, so each connection planned the
    // foreign-key check of order_items as a sequential scan of orders and kept
    // that plan: every order then read all orders before it, and the
    // reference slowed as the run went on (PostgreSQL's CPU per order more
    // than doubled by the half-rate run).
    await sql`analyze users, products`;
  } finally {
    await sql.end();
  }
}
