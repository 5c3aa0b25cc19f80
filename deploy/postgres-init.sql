-- One database and one role per service (compose.yaml runs this once, on an
-- empty volume). The passwords here are for a local compose setup only.
create role skyros_user login password 'user-dev-password';
create role skyros_product login password 'product-dev-password';
create role skyros_order login password 'order-dev-password';
create database skyros_users owner skyros_user;
create database skyros_products owner skyros_product;
create database skyros_orders owner skyros_order;
revoke connect on database skyros_users from public;
revoke connect on database skyros_products from public;
revoke connect on database skyros_orders from public;
