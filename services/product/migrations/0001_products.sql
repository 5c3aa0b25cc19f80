-- Trigram indexes keep case-insensitive substring search (LIKE '%text%') indexed.
create extension if not exists pg_trgm;

create table products (
  id uuid primary key,
  seller_id uuid not null,
  name text not null,
  description text not null,
  -- Minor units (cents).
  price bigint not null check (price > 0),
  stock integer not null check (stock >= 0),
  -- Millisecond precision: page tokens carry create_time in milliseconds.
  create_time timestamptz(3) not null default now(),
  update_time timestamptz(3) not null default now(),
  -- Soft delete: orders keep their snapshot; nothing reads a deleted product.
  delete_time timestamptz(3)
);

-- Keyset pages, newest first, over live products: all of them, and one seller's.
create index products_live_order_idx on products (create_time desc, id desc)
  where delete_time is null;
create index products_seller_order_idx on products (seller_id, create_time desc, id desc)
  where delete_time is null;

-- Search matches the name or the description, case-insensitively. Without
-- fastupdate every insert goes straight into the index: catalog writes are rare,
-- and a long pending list would make the planner shy away from the index.
create index products_name_search_idx on products using gin (lower(name) gin_trgm_ops)
  with (fastupdate = off) where delete_time is null;
create index products_description_search_idx on products using gin (lower(description) gin_trgm_ops)
  with (fastupdate = off) where delete_time is null;

-- One row per order that ever asked for stock, or had it released: the outcome
-- that repeated ReserveStock and ReleaseStock calls return.
--   held:     the items below are off the shelf, held for the order
--   failed:   nothing was taken; failure_* say why, for repeats
--   released: nothing is held (any held items were put back). A release that
--             arrives before its reservation leaves this tombstone, so that a late
--             reservation cannot take stock for an order that gave up.
create table reservations (
  order_id uuid primary key,
  status text not null check (status in ('held', 'failed', 'released')),
  failure_reason text check (failure_reason in ('not_found', 'insufficient_stock')),
  failure_product_id uuid,
  failure_requested integer,
  failure_available integer,
  hold_time timestamptz(3),
  release_time timestamptz(3),
  create_time timestamptz(3) not null default now(),
  check ((status = 'failed') = (failure_reason is not null))
);

create table reservation_items (
  order_id uuid not null references reservations (order_id),
  product_id uuid not null references products (id),
  quantity integer not null check (quantity > 0),
  primary key (order_id, product_id)
);
