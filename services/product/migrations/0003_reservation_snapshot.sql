-- A reservation records what it took at what price: each line's seller, name
-- and unit price, read under the rows' locks. The order service builds the
-- order from them, so it no longer asks for the products before reserving (one
-- call and one query less per order), and the price an order records is the
-- one in force when its units were taken. Optionally the lines must all be
-- products of one seller, checked before anything is taken.

alter table reservation_items
  add column seller_id uuid,
  add column name text,
  add column unit_price bigint;

-- Lines held before this migration: the products as they are now.
update reservation_items item
set seller_id = p.seller_id, name = p.name, unit_price = p.price
from products p
where p.id = item.product_id;

alter table reservation_items
  alter column seller_id set not null,
  alter column name set not null,
  alter column unit_price set not null;

alter table reservations drop constraint reservations_failure_reason_check;
alter table reservations add constraint reservations_failure_reason_check
  check (failure_reason in ('not_found', 'insufficient_stock', 'mixed_sellers'));

drop function reserve_stock(uuid, uuid[], integer[]);

-- As in 0002, in one round trip, plus: the one-seller rule (after unknown
-- products, before stock), the snapshot of each line, and `lines`, the lines
-- held for the order (null when nothing is held). Failures are checked in
-- this order: an unknown or deleted product, products of two sellers, too few
-- units; within each, the first line in product id order is named.
create function reserve_stock(
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
      update products p set stock = p.stock - line.quantity
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
