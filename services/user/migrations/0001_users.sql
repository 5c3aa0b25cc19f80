create table users (
  id uuid primary key,
  email text not null,
  name text not null,
  address text not null,
  type text not null check (type in ('buyer', 'seller')),
  password_hash text not null,
  create_time timestamptz(3) not null default now(),
  update_time timestamptz(3) not null default now()
);

-- Emails are unique whatever their case; the constraint, not a prior lookup,
-- decides between two concurrent registrations.
create unique index users_email_key on users (lower(email));

-- Refresh tokens are stored as SHA-256 hashes. Tokens descending from one login
-- share a family: reuse of a rotated token revokes the family.
create table refresh_tokens (
  token_hash bytea primary key,
  family_id uuid not null,
  user_id uuid not null references users (id),
  expire_time timestamptz not null,
  rotate_time timestamptz,
  revoke_time timestamptz,
  create_time timestamptz not null default now()
);

create index refresh_tokens_family_idx on refresh_tokens (family_id);

-- Ed25519 keys that sign access tokens; the oldest unretired one signs.
create table signing_keys (
  kid text primary key,
  private_jwk jsonb not null,
  public_jwk jsonb not null,
  create_time timestamptz not null default now(),
  retire_time timestamptz
);
