-- ReserveStock in one round trip. Done as a transaction from the service, a
-- reservation took six (begin, claim, lock, take, record lines, commit); every
-- order waits for one, and under load each round trip costs both processes a
-- wake-up and a pair of system calls. The function keeps the same rules and the
-- same all-or-nothing outcome, recorded in the order's reservations row, which it
-- returns.
--
-- p_ids must be distinct and sorted (the service merges and sorts the lines):
-- rows are locked in id order, as every stock transaction does, so none deadlock,
-- and the first line that cannot be served, in that order, is the one reported.
create function reserve_stock(p_order_id uuid, p_ids uuid[], p_quantities integer[])
returns reservations
language plpgsql
as $$
declare
  outcome reservations;
  short record;
begin
  -- The order's row first: a concurrent call with the same order id waits here
  -- until this one commits, then finds the row and returns its outcome.
  insert into reservations (order_id, status, hold_time) values (p_order_id, 'held', now())
  on conflict (order_id) do nothing;
  if not found then
    select * into outcome from reservations where order_id = p_order_id;
    return outcome;
  end if;

  perform 1 from products
  where id = any (p_ids) and delete_time is null
  order by id
  for update;

  select line.product_id, line.quantity, p.stock into short
  from unnest(p_ids, p_quantities) with ordinality as line (product_id, quantity, position)
  left join products p on p.id = line.product_id and p.delete_time is null
  where p.id is null or p.stock < line.quantity
  order by line.position
  limit 1;

  if found then
    update reservations set
      status = 'failed',
      hold_time = null,
      failure_reason = case when short.stock is null then 'not_found' else 'insufficient_stock' end,
      failure_product_id = short.product_id,
      failure_requested = case when short.stock is null then null else short.quantity end,
      failure_available = short.stock
    where order_id = p_order_id
    returning * into outcome;
    return outcome;
  end if;

  update products p set stock = p.stock - line.quantity
  from unnest(p_ids, p_quantities) as line (product_id, quantity)
  where p.id = line.product_id;

  insert into reservation_items (order_id, product_id, quantity)
  select p_order_id, line.product_id, line.quantity
  from unnest(p_ids, p_quantities) as line (product_id, quantity);

  select * into outcome from reservations where order_id = p_order_id;
  return outcome;
end;
$$;

-- ReleaseStock in one round trip, for the same reason (it took seven). Puts an
-- order's held units back once; for an order with no reservation it leaves a
-- released tombstone, so that a late reservation takes nothing. Returns the
-- order's reservations row afterwards.
create function release_stock(p_order_id uuid)
returns reservations
language plpgsql
as $$
declare
  outcome reservations;
begin
  insert into reservations (order_id, status, release_time) values (p_order_id, 'released', now())
  on conflict (order_id) do nothing
  returning * into outcome;
  if found then
    return outcome;
  end if;

  select * into outcome from reservations where order_id = p_order_id for update;
  if outcome.status <> 'held' then
    return outcome;
  end if;

  perform 1 from products
  where id in (select product_id from reservation_items where order_id = p_order_id)
  order by id
  for update;

  update products p set stock = p.stock + item.quantity
  from reservation_items item
  where item.order_id = p_order_id and p.id = item.product_id;

  update reservations set status = 'released', release_time = now()
  where order_id = p_order_id
  returning * into outcome;
  return outcome;
end;
$$;
