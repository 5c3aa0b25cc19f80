/**
 * The request a piece of code is running for, carried through async calls so
 * that every log line and every downstream call can name it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** The header that carries a request's id from the client through every service. */
export const REQUEST_ID_HEADER = "x-request-id";

export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with the given request context as the current one. */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request's id, when running inside a request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

const acceptableRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id to use for a request: the client's, when it is a sane token (so that it
 * cannot forge log lines), otherwise a new one.
 */
export function requestIdFrom(headerValue: string | null | undefined): string {
  return headerValue && acceptableRequestId.test(headerValue) ? headerValue : randomUUID();
}
