/**
 * The HandlerContext our gRPC server gives handlers: what Connect's context
 * offers (headers, signal, deadline, context values), with the parts that cost
 * something per call (Headers objects, the AbortController) made only when a
 * handler first asks for them; most handlers never touch most of them.
 */
import type { IncomingHttpHeaders } from "node:http2";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type ContextValues, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { toHeaders } from "./http2-headers.ts";

/** The context of one call; the call itself extends it and drives the protected parts. */
export class GrpcHandlerContext implements HandlerContext {
  readonly method: DescMethod;
  readonly service: DescService;
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  /** The request's HTTP/2 headers, as received. */
  protected readonly incoming: IncomingHttpHeaders;
  /** When the call's deadline passes (epoch ms), if it has one. */
  protected deadline: number | undefined;
  /** What the handler put in responseHeader / responseTrailer; undefined when it never asked. */
  protected responseHeaderIfSet: Headers | undefined;
  protected responseTrailerIfSet: Headers | undefined;
  #abortReason: unknown;
  #controller: AbortController | undefined;
  #requestHeader: Headers | undefined;
  #values: ContextValues | undefined;

  constructor(method: DescMethod, incoming: IncomingHttpHeaders) {
    this.method = method;
    this.service = method.parent;
    this.incoming = incoming;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  readonly timeoutMs = (): number | undefined =>
    this.deadline === undefined ? undefined : this.deadline - Date.now();

  get requestHeader(): Headers {
    // Without the pseudo-headers (:path, :authority, …): they are HTTP/2's, not the caller's metadata.
    this.#requestHeader ??= toHeaders(this.incoming);
    return this.#requestHeader;
  }

  get responseHeader(): Headers {
    this.responseHeaderIfSet ??= new Headers();
    return this.responseHeaderIfSet;
  }

  get responseTrailer(): Headers {
    this.responseTrailerIfSet ??= new Headers();
    return this.responseTrailerIfSet;
  }

  get values(): ContextValues {
    this.#values ??= createContextValues();
    return this.#values;
  }

  get url(): string {
    return `http://${this.incoming[":authority"] ?? "localhost"}${this.incoming[":path"]}`;
  }

  /** Aborts the signal with `reason`, now or, if no handler has asked for it yet, when one does. */
  protected abortSignal(reason: unknown): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }
}
