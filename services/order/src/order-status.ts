/**
 * The lifecycle of an order, and who may move it:
 * pending -> accepted -> shipped -> delivered (seller, seller, buyer),
 * pending -> rejected (seller), pending -> cancelled (buyer).
 */
import type { Role } from "@skyros/kit/auth";
import { failedPrecondition, invalidArgument } from "@skyros/kit/errors";

/** The statuses clients see. */
export const ORDER_STATUSES = [
  "pending",
  "accepted",
  "rejected",
  "shipped",
  "delivered",
  "cancelled",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderAction = "accept" | "reject" | "ship" | "deliver" | "cancel";

export interface Transition {
  readonly from: OrderStatus;
  readonly to: OrderStatus;
  /** The party of the order that may make it. */
  readonly by: Role;
  /** Whether the order gives its stock back. */
  readonly releasesStock: boolean;
}

export const TRANSITIONS: Readonly<Record<OrderAction, Transition>> = {
  accept: { from: "pending", to: "accepted", by: "seller", releasesStock: false },
  reject: { from: "pending", to: "rejected", by: "seller", releasesStock: true },
  ship: { from: "accepted", to: "shipped", by: "seller", releasesStock: false },
  deliver: { from: "shipped", to: "delivered", by: "buyer", releasesStock: false },
  cancel: { from: "pending", to: "cancelled", by: "buyer", releasesStock: true },
};

/**
 * The transition `action` makes from `current`; FailedPrecondition naming the
 * current status when the order is not where the action starts.
 */
export function transitionFrom(current: OrderStatus, action: OrderAction): Transition {
  const transition = TRANSITIONS[action];
  if (transition.from !== current) {
    const article = transition.from === "accepted" ? "an" : "a";
    throw failedPrecondition(
      `cannot ${action} an order that is ${current}; only ${article} ${transition.from} order can be ${pastTense[action]}`,
    );
  }
  return transition;
}

const pastTense: Record<OrderAction, string> = {
  accept: "accepted",
  reject: "rejected",
  ship: "shipped",
  deliver: "delivered",
  cancel: "cancelled",
};

/** The status filter of a list request: empty for any, else one of ORDER_STATUSES. */
export function requireStatusFilter(value: string): OrderStatus | undefined {
  if (value === "") return undefined;
  const status = value.trim().toLowerCase();
  if (!ORDER_STATUSES.includes(status as OrderStatus)) {
    throw invalidArgument("status", `must be one of ${ORDER_STATUSES.join(", ")}`);
  }
  return status as OrderStatus;
}
