/**
 * Counts of failed logins per email address, in fixed windows (migration
 * 0002). A login is counted as failed before its password is checked, and
 * forgiven if it was right: so concurrent guesses, on any replica, cannot all
 * pass a check made before any of them failed.
 */
import { createHash } from "node:crypto";
import type { Sql } from "@skyros/kit/database";

export interface LoginFailureStore {
  /** Counts one attempt for `email`: its failures in the current window, this one included, and the window's seconds left (by the database's clock). */
  countAttempt(email: string, windowMs: number): Promise<{ failures: number; secondsLeft: number }>;
  /** Takes back the attempt of a login that succeeded. */
  forgive(email: string): Promise<void>;
}

// A few expired windows are deleted with every attempt, so the table holds
// little more than the live ones without a sweeper of its own.
const EXPIRED_PER_ATTEMPT = 10;

const digestOf = (email: string) => createHash("sha256").update(email.toLowerCase()).digest();

export function createLoginFailureStore(sql: Sql): LoginFailureStore {
  return {
    async countAttempt(email, windowMs) {
      const digest = digestOf(email);
      // The sweep leaves this email's own row to the insert: one statement may not touch a row twice.
      const [row] = await sql<{ failures: number; secondsLeft: number }[]>`
        with expired as (
          delete from login_failures where email_digest = any(array(
            select email_digest from login_failures
            where window_end <= now() and email_digest <> ${digest}
            order by window_end limit ${EXPIRED_PER_ATTEMPT}
            -- Rows another attempt is sweeping, or counting, are left to it:
            -- waiting on them deadlocked concurrent logins.
            for update skip locked))
        )
        insert into login_failures as f (email_digest, window_end, failures)
        values (${digest}, now() + make_interval(secs => ${windowMs / 1000}), 1)
        on conflict (email_digest) do update set
          failures = case when f.window_end <= now() then 1 else f.failures + 1 end,
          window_end = case when f.window_end <= now() then excluded.window_end else f.window_end end
        returning failures, ceil(extract(epoch from window_end - now()))::int as "secondsLeft"`;
      return row as { failures: number; secondsLeft: number };
    },

    async forgive(email) {
      await sql`
        update login_failures set failures = greatest(failures - 1, 0)
        where email_digest = ${digestOf(email)} and window_end > now()`;
    },
  };
}
