-- An order is built from its reservation: the product service answers
-- ReserveStock with what it took, at what price and from which seller, so the
-- order service no longer asks for the products first. Until that answer an
-- order is inserted as reserving with the requested lines alone (product id and
-- quantity) and no seller; its seller, source address, priced lines and total
-- are written when it is marked held. Orders clients can see always have them.
alter table orders alter column seller_id drop not null;
alter table orders add constraint orders_seller_when_visible
  check (seller_id is not null or stock = 'reserving' or status = 'failed');
