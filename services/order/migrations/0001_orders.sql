-- An order and its lines. The lines are an immutable snapshot (product id, name,
-- unit price, quantity) taken when the order was placed, so they live in the
-- order's row as JSON: one insert places an order, one read returns it whole.
--
-- status is the lifecycle clients see, plus 'failed' for an order whose stock
-- could not be reserved; failed orders are never shown.
-- stock is the saga's state of the order's reservation in the product service:
--   reserving: ReserveStock was (or is about to be) called; the outcome is unknown
--   held:      the product service holds the order's stock
--   none:      the product service refused the reservation; nothing is held
--   releasing: the order gave its stock back (cancelled, rejected, or given up);
--              ReleaseStock is yet to be confirmed
--   released:  ReleaseStock confirmed; nothing is held
-- Orders that are reserving are not shown either: their outcome is not known yet.
create table orders (
  id uuid primary key,
  buyer_id uuid not null,
  seller_id uuid not null,
  status text not null
    check (status in ('pending', 'accepted', 'rejected', 'shipped', 'delivered', 'cancelled', 'failed')),
  stock text not null check (stock in ('reserving', 'held', 'none', 'releasing', 'released')),
  description text not null,
  source_address text not null,
  destination_address text not null,
  total_price bigint not null check (total_price >= 0),
  items jsonb not null,
  -- Why a failed order failed (a gRPC code name and a client-safe message), so
  -- that a repeated request with its Idempotency-Key gets the same answer.
  failure_code text,
  failure_message text,
  -- When the recovery loop may next look at an order whose stock step is
  -- unfinished (reserving or releasing); claiming an order pushes it forward.
  next_attempt_time timestamptz(3),
  -- Millisecond precision: page tokens carry create_time in milliseconds.
  create_time timestamptz(3) not null default now(),
  update_time timestamptz(3) not null default now()
);

-- Each caller's orders, newest first (keyset pages).
create index orders_buyer_idx on orders (buyer_id, create_time desc, id desc);
create index orders_seller_idx on orders (seller_id, create_time desc, id desc);

-- The recovery loop's queue: orders with an unfinished stock step.
create index orders_recovery_idx on orders (next_attempt_time)
  where stock in ('reserving', 'releasing');

-- Idempotency-Key records: a buyer's key names the order its first request
-- placed, with a hash of that request. The primary key, not a prior lookup,
-- decides between two concurrent requests with one key.
create table idempotency_keys (
  buyer_id uuid not null,
  key text not null,
  request_hash bytea not null,
  order_id uuid not null,
  expire_time timestamptz not null,
  primary key (buyer_id, key)
);

create index idempotency_keys_expire_idx on idempotency_keys (expire_time);
