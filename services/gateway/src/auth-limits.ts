/**
 * Rate limits on signing in, against password guessing and account farming:
 * failed logins per email address (only failures count, so a user who types
 * the right password is never locked out by their own successes), and login
 * plus register calls per client address.
 */
import type { DescMethod, Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { GatewayConfig } from "./config.ts";
import type { CounterStore } from "./counter-store.ts";
import { GatewayError } from "./error-body.ts";
import { createRateLimiter } from "./rate-limiter.ts";
import type { Route } from "./route-table.ts";

/** The RPCs the limits apply to. */
const LOGIN: DescMethod = UserService.method.login;
const SIGN_IN_METHODS = new Set<DescMethod>([LOGIN, UserService.method.register]);

export interface AuthLimits {
  /** Whether the route's calls are limited at all (most are not, and skip the store). */
  appliesTo(route: Route): boolean;
  /** Rejects with a 429 when the request must wait; call before calling the service. */
  admit(route: Route, request: Message, clientAddress: string): Promise<void>;
  /** Records the outcome of a call that `admit` let through. */
  record(route: Route, request: Message, error: unknown): Promise<void>;
}

const tooMany = (what: string, seconds: number) =>
  new GatewayError(Code.ResourceExhausted, `too many ${what}; try again in ${seconds} s`, {
    headers: { "retry-after": String(seconds) },
  });

const emailOf = (request: Message) => {
  const email = (request as Message & { email?: unknown }).email;
  return typeof email === "string" ? email.trim().toLowerCase() : "";
};

/** The sign-in limits of a configuration, counted in `store`. */
export function createAuthLimits(
  config: Pick<GatewayConfig, "failedLoginLimit" | "authPerAddressLimit">,
  store: CounterStore,
): AuthLimits {
  const failedLogins = createRateLimiter("failed-login", config.failedLoginLimit, store);
  const perAddress = createRateLimiter("sign-in", config.authPerAddressLimit, store);
  return {
    appliesTo: (route) => SIGN_IN_METHODS.has(route.method),
    async admit(route, request, clientAddress) {
      if (!SIGN_IN_METHODS.has(route.method)) return;
      const addressWait = await perAddress.take(clientAddress);
      if (addressWait > 0) throw tooMany("sign-in attempts from this address", addressWait);
      if (route.method === LOGIN) {
        // Counted as failed before it is tried, and given back if it was not:
        // so concurrent guesses, on any replica, cannot all pass a check made
        // before any of them failed.
        const emailWait = await failedLogins.take(emailOf(request));
        if (emailWait > 0) throw tooMany("failed logins for this account", emailWait);
      }
    },
    async record(route, request, error) {
      if (route.method !== LOGIN) return;
      if (!(error instanceof ConnectError && error.code === Code.Unauthenticated))
        await failedLogins.giveBack(emailOf(request));
    },
  };
}
