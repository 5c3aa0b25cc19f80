/**
 * The request mixes of the scenarios, as autocannon request steps: each request
 * picks its own random product, search word or buyer.
 */
import { randomUUID } from "node:crypto";
import type { AutocannonRequest, RequestStep } from "autocannon";
import { type Catalog, VOCABULARY } from "./catalog.ts";

/** A buyer as the load sees it: the id (for the reference) and an access token (for the system). */
export interface BenchBuyer {
  readonly id: string;
  readonly token: string;
}

const randomItem = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** (a) GET /v1/products/{id} on random products. */
export function productByIdRequest(catalog: Catalog, request: AutocannonRequest): AutocannonRequest {
  return { ...request, method: "GET", path: `/v1/products/${randomItem(catalog.products).id}`, body: "" };
}

const searchPath = (word: string, pageToken?: string) =>
  `/v1/products?search=${word}&pageSize=20${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ""}`;

/** (b) A search for a random word, first page; the word is kept in `context` for the next page. */
export function searchRequest(
  request: AutocannonRequest,
  context: Record<string, unknown>,
): AutocannonRequest {
  const word = randomItem(VOCABULARY);
  context.word = word;
  context.pageToken = undefined;
  return { ...request, method: "GET", path: searchPath(word), body: "" };
}

/**
 * (c) POST /v1/orders: two products of one random seller, a random buyer, and an
 * Idempotency-Key of its own. `asReference` names the buyer with a header
 * instead of a token (the reference checks no tokens).
 */
export function createOrderRequest(
  catalog: Catalog,
  buyers: readonly BenchBuyer[],
  request: AutocannonRequest,
  asReference = false,
): AutocannonRequest {
  const own = randomItem(catalog.productsBySeller);
  const first = Math.floor(Math.random() * own.length);
  const second = (first + 1 + Math.floor(Math.random() * (own.length - 1))) % own.length;
  const buyer = randomItem(buyers);
  const items = [first, second].map((index) => ({
    productId: catalog.products[own[index] ?? 0]?.id,
    quantity: 1 + Math.floor(Math.random() * 3),
  }));
  return {
    ...request,
    method: "POST",
    path: "/v1/orders",
    headers: {
      ...request.headers,
      "content-type": "application/json",
      ...(asReference
        ? { "x-buyer-id": buyer.id }
        : { authorization: `Bearer ${buyer.token}`, "idempotency-key": randomUUID() }),
    },
    body: JSON.stringify({ description: "bench order", destinationAddress: "1 bench road", items }),
  };
}

/** (a) as autocannon steps. */
export function productByIdSteps(catalog: Catalog): RequestStep[] {
  return [{ setupRequest: (request) => productByIdRequest(catalog, request) }];
}

/** (b) as autocannon steps: a first page, then (when there is one) the next page of that search. */
export function searchSteps(): RequestStep[] {
  return [
    {
      setupRequest: searchRequest,
      onResponse: (status, body, context) => {
        if (status === 200)
          context.pageToken = (JSON.parse(body) as { nextPageToken?: string }).nextPageToken;
      },
    },
    {
      setupRequest: (request, context) => {
        const { word, pageToken } = context as { word?: string; pageToken?: string };
        if (word === undefined || !pageToken) return searchRequest(request, context);
        return { ...request, method: "GET", path: searchPath(word, pageToken), body: "" };
      },
    },
  ];
}

/** (c) as autocannon steps. */
export function createOrderSteps(
  catalog: Catalog,
  buyers: readonly BenchBuyer[],
  asReference = false,
): RequestStep[] {
  return [{ setupRequest: (request) => createOrderRequest(catalog, buyers, request, asReference) }];
}

/** (d) Read-heavy mix: 45% product by id, 45% search (first pages), 10% orders. */
export function mixedSteps(catalog: Catalog, buyers: readonly BenchBuyer[]): RequestStep[] {
  return [
    {
      setupRequest: (request, context) => {
        const draw = Math.random();
        if (draw < 0.45) return productByIdRequest(catalog, request);
        if (draw < 0.9) return searchRequest(request, context);
        return createOrderRequest(catalog, buyers, request);
      },
    },
  ];
}
