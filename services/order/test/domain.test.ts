import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@skyros/contracts/google/rpc/error_details_pb.js";
import { ConfigError } from "@skyros/kit/config";
import { expectDomainError } from "@skyros/kit/testing";
import { readOrderConfig } from "../src/config.ts";
import {
  IDEMPOTENCY_KEY_REUSED,
  idempotencyKeyFrom,
  idempotencyKeyReused,
  requestHash,
} from "../src/idempotency.ts";
import { buildOrder, type ProductSnapshot, validateOrderInput } from "../src/order-building.ts";
import { ORDER_STATUSES, requireStatusFilter, TRANSITIONS, transitionFrom } from "../src/order-status.ts";

const productA = "0b7c6a52-95cd-4a77-a2a4-0d0a1f0e6a01";
const productB = "0b7c6a52-95cd-4a77-a2a4-0d0a1f0e6a02";
const productC = "0b7c6a52-95cd-4a77-a2a4-0d0a1f0e6a03";

describe("order status", () => {
  test("the allowed transitions, each by its party", () => {
    const table = Object.entries(TRANSITIONS).map(([action, t]) => `${action}:${t.from}->${t.to}:${t.by}`);
    assert.deepEqual(table, [
      "accept:pending->accepted:seller",
      "reject:pending->rejected:seller",
      "ship:accepted->shipped:seller",
      "deliver:shipped->delivered:buyer",
      "cancel:pending->cancelled:buyer",
    ]);
    assert.equal(TRANSITIONS.reject.releasesStock, true);
    assert.equal(TRANSITIONS.cancel.releasesStock, true);
    assert.equal(TRANSITIONS.accept.releasesStock, false);
  });

  test("every other transition is FailedPrecondition naming the current status", () => {
    for (const [action, transition] of Object.entries(TRANSITIONS)) {
      for (const status of ORDER_STATUSES) {
        const act = () => transitionFrom(status, action as keyof typeof TRANSITIONS);
        if (status === transition.from) {
          assert.equal(act().to, transition.to);
        } else {
          const error = expectDomainError(act, "failed_precondition");
          assert.match(error.message, new RegExp(`is ${status}\\b`));
        }
      }
    }
  });

  test("the status filter accepts the public statuses only", () => {
    assert.equal(requireStatusFilter(""), undefined);
    assert.equal(requireStatusFilter("Shipped"), "shipped");
    expectDomainError(() => requireStatusFilter("failed"), "invalid_argument", "status");
    expectDomainError(() => requireStatusFilter("lost"), "invalid_argument", "status");
  });
});

describe("order building", () => {
  const request = (items: { productId: string; quantity: number }[]) => ({
    description: "  gift  ",
    destinationAddress: " 2 Side St ",
    items,
  });
  const products = new Map<string, ProductSnapshot>([
    [productA, { id: productA, name: "Lamp", price: 1999n, sellerId: "s1" }],
    [productB, { id: productB, name: "Desk", price: 25_000n, sellerId: "s1" }],
    [productC, { id: productC, name: "Chair", price: 5_000n, sellerId: "s2" }],
  ]);

  test("validates, trims and merges duplicate lines in first-seen order", () => {
    const input = validateOrderInput(
      request([
        { productId: productB.toUpperCase(), quantity: 1 },
        { productId: productA, quantity: 2 },
        { productId: productB, quantity: 3 },
      ]),
    );
    assert.deepEqual(input, {
      description: "gift",
      destinationAddress: "2 Side St",
      items: [
        { productId: productB, quantity: 4 },
        { productId: productA, quantity: 2 },
      ],
    });
  });

  test("refuses bad input, naming the field", () => {
    expectDomainError(() => validateOrderInput(request([])), "invalid_argument", "items");
    const many = Array.from({ length: 51 }, () => ({ productId: productA, quantity: 1 }));
    expectDomainError(() => validateOrderInput(request(many)), "invalid_argument", "items");
    expectDomainError(
      () => validateOrderInput(request([{ productId: productA, quantity: 0 }])),
      "invalid_argument",
      "items[0].quantity",
    );
    expectDomainError(
      () => validateOrderInput(request([{ productId: productA, quantity: -1 }])),
      "invalid_argument",
      "items[0].quantity",
    );
    expectDomainError(
      () =>
        validateOrderInput(
          request([
            { productId: productA, quantity: 1 },
            { productId: "nope", quantity: 1 },
          ]),
        ),
      "invalid_argument",
      "items[1].productId",
    );
    expectDomainError(
      () =>
        validateOrderInput(
          request([
            { productId: productA, quantity: 2_000_000_000 },
            { productId: productA, quantity: 2_000_000_000 },
          ]),
        ),
      "invalid_argument",
      "items[1].quantity",
    );
    expectDomainError(
      () =>
        validateOrderInput({ ...request([{ productId: productA, quantity: 1 }]), destinationAddress: " " }),
      "invalid_argument",
      "destinationAddress",
    );
    expectDomainError(
      () =>
        validateOrderInput({
          ...request([{ productId: productA, quantity: 1 }]),
          description: "x".repeat(2001),
        }),
      "invalid_argument",
      "description",
    );
  });

  test("snapshots names and prices and totals in minor units", () => {
    const built = buildOrder(
      validateOrderInput(
        request([
          { productId: productA, quantity: 3 },
          { productId: productB, quantity: 1 },
        ]),
      ).items,
      products,
    );
    assert.equal(built.sellerId, "s1");
    assert.equal(built.totalPrice, 3n * 1999n + 25_000n);
    assert.deepEqual(built.items, [
      { productId: productA, name: "Lamp", unitPrice: 1999n, quantity: 3 },
      { productId: productB, name: "Desk", unitPrice: 25_000n, quantity: 1 },
    ]);
  });

  test("an unknown product is NotFound naming it; two sellers are InvalidArgument", () => {
    const unknown = "0b7c6a52-95cd-4a77-a2a4-0d0a1f0e6aff";
    const error = expectDomainError(
      () => buildOrder(validateOrderInput(request([{ productId: unknown, quantity: 1 }])).items, products),
      "not_found",
    );
    assert.match(error.message, new RegExp(unknown));
    expectDomainError(
      () =>
        buildOrder(
          validateOrderInput(
            request([
              { productId: productA, quantity: 1 },
              { productId: productC, quantity: 1 },
            ]),
          ).items,
          products,
        ),
      "invalid_argument",
      "items",
    );
  });

  test("a total that would overflow an int64 is refused", () => {
    const pricey = new Map([[productA, { id: productA, name: "Gem", price: 2n ** 62n, sellerId: "s1" }]]);
    expectDomainError(
      () => buildOrder(validateOrderInput(request([{ productId: productA, quantity: 2 }])).items, pricey),
      "invalid_argument",
      "items",
    );
  });
});

describe("idempotency", () => {
  const input = (quantity: number, description = "gift") =>
    validateOrderInput({
      description,
      destinationAddress: "2 Side St",
      items: [{ productId: productA, quantity }],
    });

  test("the request hash is SHA-256 of the canonical request", () => {
    assert.equal(requestHash(input(1)).length, 32);
    assert.deepEqual(requestHash(input(1)), requestHash(input(1)));
    assert.deepEqual(requestHash(input(1, " gift ")), requestHash(input(1, "gift")));
    assert.notDeepEqual(requestHash(input(1)), requestHash(input(2)));
    assert.notDeepEqual(requestHash(input(1)), requestHash(input(1, "other")));
  });

  test("the key header is optional and bounded", () => {
    assert.equal(idempotencyKeyFrom(new Headers()), undefined);
    assert.equal(idempotencyKeyFrom(new Headers({ "idempotency-key": " abc-123 " })), "abc-123");
    assert.equal(idempotencyKeyFrom(new Headers({ "idempotency-key": "k".repeat(255) })), "k".repeat(255));
    expectDomainError(
      () => idempotencyKeyFrom(new Headers({ "idempotency-key": "k".repeat(256) })),
      "invalid_argument",
      "Idempotency-Key",
    );
    expectDomainError(
      () => idempotencyKeyFrom(new Headers({ "idempotency-key": "two words" })),
      "invalid_argument",
      "Idempotency-Key",
    );
  });

  test("a reused key is FailedPrecondition with the reason the gateway maps to 422", () => {
    const error = idempotencyKeyReused();
    assert.equal(error.code, Code.FailedPrecondition);
    const [info] = error.findDetails(ErrorInfoSchema);
    assert.equal(info?.reason, IDEMPOTENCY_KEY_REUSED);
    assert.equal(info?.domain, "skyros");
  });
});

describe("configuration", () => {
  const base = { SKYROS_SERVICE_CREDENTIAL: "a-credential-of-some-length" };

  test("defaults", () => {
    const config = readOrderConfig(base);
    assert.equal(config.port, 4033);
    assert.equal(config.productServiceUrl, "http://127.0.0.1:4022");
    assert.equal(config.idempotencyKeyTtlSeconds, 86_400);
    assert.equal(config.recoveryIntervalMs, 1_000);
    assert.equal(config.stockStepTimeoutMs, 5_000);
  });

  test("bad values name the variable", () => {
    assert.throws(() => readOrderConfig({ ...base, PRODUCT_SERVICE_URL: "ftp://x" }), ConfigError);
    assert.throws(() => readOrderConfig({ ...base, ORDER_RECOVERY_INTERVAL_MS: "soon" }), /ORDER_RECOVERY/);
    assert.throws(
      () =>
        readOrderConfig({
          ...base,
          ORDER_STOCK_STEP_TIMEOUT_MS: "9000",
          ORDER_RESERVATION_GIVE_UP_MS: "100",
        }),
      /ORDER_RESERVATION_GIVE_UP_MS/,
    );
  });
});
