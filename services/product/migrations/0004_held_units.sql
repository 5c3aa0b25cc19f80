-- Units that orders hold, kept on each product beside its stock. A seller sets
-- the stock on the shelf, while units held by orders come back when those are
-- cancelled or rejected: without a bound on the two together, returned units
-- could push the stock past its limit (1e9) and past the integer column itself,
-- and a release would then fail and keep failing. A stock change must now keep
-- stock + held within the limit (the service checks it in its update), so every
-- release fits. Reserving and releasing move units between the two columns in
-- the same row update they already made.

alter table products add column held integer not null default 0 check (held >= 0);

update products p set held = h.units
from (
  select item.product_id, least(sum(item.quantity), 2147483647)::integer as units
  from reservation_items item
  join reservations r using (order_id)
  where r.status = 'held'
  group by item.product_id
) h
where p.id = h.product_id;

-- The functions of 0003 and 0002, each with its update of held.
create or replace function reserve_stock(
  p_order_id uuid,
  p_ids uuid[],
  p_quantities integer[],
  p_single_seller boolean,
  out outcome reservations,
  out lines jsonb
)
language plpgsql
as $$
declare
  missing uuid;
  other_seller uuid;
  short_id uuid;
  short_requested integer;
  short_available integer;
begin
  insert into reservations (order_id, status, hold_time) values (p_order_id, 'held', now())
  on conflict (order_id) do nothing;
  if found then
    perform 1 from products
    where id = any (p_ids) and delete_time is null
    order by id
    for update;

    select line.product_id into missing
    from unnest(p_ids) with ordinality as line (product_id, position)
    where not exists (select 1 from products p where p.id = line.product_id and p.delete_time is null)
    order by line.position
    limit 1;

    if missing is null and p_single_seller then
      select p.id into other_seller
      from unnest(p_ids) with ordinality as line (product_id, position)
      join products p on p.id = line.product_id
      where p.seller_id <> (select seller_id from products where id = p_ids[1])
      order by line.position
      limit 1;
    end if;

    if missing is null and other_seller is null then
      select line.product_id, line.quantity, p.stock into short_id, short_requested, short_available
      from unnest(p_ids, p_quantities) with ordinality as line (product_id, quantity, position)
      join products p on p.id = line.product_id
      where p.stock < line.quantity
      order by line.position
      limit 1;
    end if;

    if missing is not null or other_seller is not null or short_id is not null then
      update reservations set
        status = 'failed',
        hold_time = null,
        failure_reason = case
          when missing is not null then 'not_found'
          when other_seller is not null then 'mixed_sellers'
          else 'insufficient_stock' end,
        failure_product_id = coalesce(missing, other_seller, short_id),
        failure_requested = short_requested,
        failure_available = short_available
      where order_id = p_order_id;
    else
      update products p set stock = p.stock - line.quantity, held = p.held + line.quantity
      from unnest(p_ids, p_quantities) as line (product_id, quantity)
      where p.id = line.product_id;

      insert into reservation_items (order_id, product_id, quantity, seller_id, name, unit_price)
      select p_order_id, line.product_id, line.quantity, p.seller_id, p.name, p.price
      from unnest(p_ids, p_quantities) as line (product_id, quantity)
      join products p on p.id = line.product_id;
    end if;
  end if;

  -- The outcome, whether decided now or by an earlier call.
  select * into outcome from reservations where order_id = p_order_id;
  if outcome.status = 'held' then
    select jsonb_agg(
      jsonb_build_object(
        'productId', item.product_id, 'sellerId', item.seller_id, 'name', item.name,
        'unitPrice', item.unit_price::text, 'quantity', item.quantity)
      order by item.product_id)
    into lines
    from reservation_items item
    where item.order_id = p_order_id;
  end if;
end;
$$;

create or replace function release_stock(p_order_id uuid)
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

  -- held is a bound for sellers' stock changes, not the ledger (reservation_items
  -- is): it never stops units from going back.
  update products p set stock = p.stock + item.quantity, held = greatest(p.held - item.quantity, 0)
  from reservation_items item
  where item.order_id = p_order_id and p.id = item.product_id;

  update reservations set status = 'released', release_time = now()
  where order_id = p_order_id
  returning * into outcome;
  return outcome;
end;
$$;
