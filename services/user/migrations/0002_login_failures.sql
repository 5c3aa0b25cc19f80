-- Failed logins per email address, in fixed windows: the user service's own
-- guard against password guessing, which holds for every caller, the gateway
-- or anyone else who reaches the service's port. Emails are kept as SHA-256
-- digests: the table is written for addresses that have no account too.
create table login_failures (
  email_digest bytea primary key,
  window_end timestamptz not null,
  failures integer not null
);

create index login_failures_window_end_idx on login_failures (window_end);
