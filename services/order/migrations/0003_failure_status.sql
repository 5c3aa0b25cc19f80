-- The whole answer a failed order's request got, as google.rpc.Status bytes
-- (code, message and details, such as which field or product was at fault), so
-- that a repeat with its Idempotency-Key gets the same answer, details included.
-- Orders that failed before this column existed answer from failure_code and
-- failure_message, as they did.
alter table orders add column failure_status bytea;
