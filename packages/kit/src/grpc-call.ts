/**
 * One gRPC call on our server: reads the request off its HTTP/2 stream
 * (http2-server-connection.ts), runs
 * the handler in the caller's request context, and answers. What Connect's
 * interceptors used to do for every call is done here directly: the service
 * credential on internal methods, masking and logging of errors. The call is
 * also the handler's HandlerContext (grpc-context.ts).
 */
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { create, type DescMethod, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "./database.ts";
import { permissionDenied, toPublicError, unauthenticated } from "./errors.ts";
import { GrpcHandlerContext } from "./grpc-context.ts";
import { encodeFrame, type Frame, FrameReader } from "./grpc-framing.ts";
import { errorTrailers } from "./grpc-status.ts";
import { firstValue, headersToRecord } from "./http2-headers.ts";
import { encodeFields, type OutgoingFields, type ServerStream } from "./http2-server-connection.ts";
import type { Logger } from "./logger.ts";
import {
  REQUEST_ID_HEADER,
  type RequestContext,
  requestIdFrom,
  runInRequestContext,
} from "./request-context.ts";
import { SERVICE_CREDENTIAL_HEADER } from "./service-credential.ts";

/** A method implementation as registered: a Connect unary or server-streaming handler. */
export type Handler = (request: unknown, context: HandlerContext) => unknown;

/** A registered method, with everything a call needs that does not change per call. */
export interface Route {
  readonly method: DescMethod;
  /** `package.Service/Method`, as the logs name it. */
  readonly procedure: string;
  readonly internal: boolean;
  readonly handler: Handler;
}

/** What every call shares: fixed at server start. */
export interface CallOptions {
  readonly routes: ReadonlyMap<string, Route>;
  readonly logger: Logger;
  /** Whether a presented service credential is the right one (constant time). */
  readonly credentialMatches: (presented: string) => boolean;
  readonly maxTimeoutMs: number;
  readonly maxMessageBytes: number;
  /** Calls not yet answered, so that shutdown can abort them. */
  readonly inFlight: Set<ServerCall>;
  /** Told of every call once it is over: its code (undefined for OK) and how long it took. */
  readonly onCallFinished?: CallObserver;
}

/** Told of a finished call (metrics). */
export type CallObserver = (method: DescMethod, code: Code | undefined, seconds: number) => void;

/** The headers of every response, fixed. */
export const RESPONSE_HEADERS = Object.freeze({
  ":status": 200,
  "content-type": "application/grpc+proto",
  "grpc-accept-encoding": "identity,gzip",
});
const OK_TRAILERS = Object.freeze({ "grpc-status": "0" });
// What almost every call sends, encoded once.
const RESPONSE_HEADERS_BLOCK = encodeFields(RESPONSE_HEADERS);
const OK_TRAILERS_BLOCK = encodeFields(OK_TRAILERS);
const COMPLETED = new ConnectError("the call has completed", Code.Canceled);
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};
const gunzipAsync = promisify(gunzip);

/** One call; it is also the HandlerContext its handler sees. */
export class ServerCall extends GrpcHandlerContext {
  readonly #options: CallOptions;
  readonly #route: Route;
  readonly #stream: ServerStream;
  readonly #context: RequestContext;
  readonly #started = performance.now();
  #reader: FrameReader | undefined;
  #frames: Frame[] = [];
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  #trailers: Record<string, string> = OK_TRAILERS;
  /** Resolves a streaming call waiting for flow control, when its stream drains or closes. */
  #drained: (() => void) | undefined;

  constructor(options: CallOptions, route: Route, stream: ServerStream) {
    const headers = stream.headers;
    super(route.method, headers);
    this.#options = options;
    this.#route = route;
    this.#stream = stream;
    this.#context = { requestId: requestIdFrom(firstValue(headers[REQUEST_ID_HEADER])) };
    this.#reader = new FrameReader(options.maxMessageBytes);
    options.inFlight.add(this);
    stream.listener = {
      onData: (chunk) => this.#onData(chunk),
      onEnd: () => this.#onEnd(),
      onClose: () => this.#onClose(),
      onDrain: () => this.#wake(),
    };
    const timeout = firstValue(headers["grpc-timeout"]);
    if (timeout !== undefined) this.#startDeadline(timeout);
  }

  /** Aborts every call still running, after the shutdown grace period. */
  static abortAll(calls: Iterable<ServerCall>): void {
    const reason = new ConnectError("the server is shutting down", Code.Unavailable);
    for (const call of calls) call.#finish(reason);
  }

  #startDeadline(value: string): void {
    const match = TIMEOUT.exec(value);
    if (match === null) {
      this.#fail(new ConnectError(`malformed grpc-timeout ${value}`, Code.InvalidArgument));
      return;
    }
    const ms = Math.min(
      Number(match[1]) * (TIMEOUT_UNIT_MS[match[2] ?? ""] ?? 1),
      this.#options.maxTimeoutMs,
    );
    this.deadline = Date.now() + ms;
    this.#timer = setTimeout(
      () => this.#fail(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
      ms,
    );
  }

  #onData(chunk: Buffer): void {
    if (this.#reader === undefined) return;
    try {
      for (const frame of this.#reader.push(chunk)) this.#frames.push(frame);
    } catch (error) {
      this.#reader = undefined;
      this.#fail(ConnectError.from(error));
    }
  }

  #onEnd(): void {
    if (this.#finished || this.#reader === undefined) return;
    if (this.#reader.hasPartialFrame) {
      this.#fail(new ConnectError("the request ended inside a message", Code.InvalidArgument));
    } else if (this.#frames.length !== 1) {
      this.#fail(
        new ConnectError(`expected one request message, got ${this.#frames.length}`, Code.InvalidArgument),
      );
    } else {
      const frame = this.#frames[0] as Frame;
      this.#frames = [];
      this.#stream.hold();
      runInRequestContext(this.#context, () => this.#run(frame));
    }
  }

  async #run(frame: Frame): Promise<void> {
    const { procedure, method, handler } = this.#route;
    try {
      if (this.#route.internal) {
        const presented = firstValue(this.incoming[SERVICE_CREDENTIAL_HEADER]);
        if (presented === undefined) throw unauthenticated("this method is for skyros services only");
        if (!this.#options.credentialMatches(presented)) throw permissionDenied("bad service credential");
      }
      const request = decode(method, frame.compressed ? await this.#decompress(frame.data) : frame.data);
      const answered =
        method.methodKind === "server_streaming"
          ? await this.#sendStream(handler(request, this) as AsyncIterable<unknown>)
          : this.#sendUnary(await handler(request, this));
      if (answered) this.#options.logger.debug({ procedure, ms: this.#elapsed() }, "rpc ok");
    } catch (error) {
      // After a deadline, a cancel or shutdown, the handler's own failure is old news.
      if (!this.#finished) this.#fail(error);
    } finally {
      this.#stream.release();
    }
  }

  async #decompress(data: Uint8Array): Promise<Uint8Array> {
    if (this.incoming["grpc-encoding"] !== "gzip") {
      throw new ConnectError("a compressed message without grpc-encoding", Code.Internal);
    }
    try {
      return await gunzipAsync(data, { maxOutputLength: this.#options.maxMessageBytes });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new ConnectError("the decompressed message is too large", Code.ResourceExhausted);
      }
      throw new ConnectError("the message could not be decompressed", Code.InvalidArgument);
    }
  }

  /** Sends the one response message; false when the call was already over. */
  #sendUnary(result: unknown): boolean {
    if (this.#finished) return false;
    const output = this.#route.method.output;
    const frame = encodeFrame(toBinary(output, create(output, result as never)));
    // Finished first: the stream leaves its connection as the answer is queued.
    this.#finish(COMPLETED);
    this.#respond();
    this.#stream.end(frame, this.#trailerBlock());
    return true;
  }

  /** Sends each message as the handler yields it; false when the call ended first. */
  async #sendStream(messages: AsyncIterable<unknown>): Promise<boolean> {
    const output = this.#route.method.output;
    for await (const message of messages) {
      // Leaving the loop also ends the handler's generator.
      if (this.#finished || !this.#stream.writable) return false;
      const frame = encodeFrame(toBinary(output, create(output, message as never)));
      this.#respond();
      if (!this.#stream.write(frame)) await new Promise<void>((resolve) => (this.#drained = resolve));
    }
    if (this.#finished) return false;
    this.#finish(COMPLETED);
    this.#respond();
    this.#stream.end(undefined, this.#trailerBlock());
    return true;
  }

  /** Sends the response headers, once; trailers follow when the stream ends. */
  #respond(): void {
    if (this.#stream.headersSent || !this.#stream.writable) return;
    this.#stream.respond(
      this.responseHeaderIfSet === undefined
        ? RESPONSE_HEADERS_BLOCK
        : this.#encodeWithExtras(this.responseHeaderIfSet, RESPONSE_HEADERS),
    );
  }

  #trailerBlock(): Buffer {
    if (this.responseTrailerIfSet === undefined) {
      return this.#trailers === OK_TRAILERS ? OK_TRAILERS_BLOCK : encodeFields(this.#trailers);
    }
    return this.#encodeWithExtras(this.responseTrailerIfSet, this.#trailers);
  }

  /** `fields` with the handler's `extras` before them; extras HTTP/2 cannot carry are dropped, and logged. */
  #encodeWithExtras(extras: Headers | Record<string, string>, fields: OutgoingFields): Buffer {
    const record = extras instanceof Headers ? headersToRecord(extras) : extras;
    try {
      return encodeFields({ ...record, ...fields });
    } catch (error) {
      this.#options.logger.warn(
        { err: error, procedure: this.#route.procedure },
        "dropped response metadata that HTTP/2 cannot carry",
      );
      return encodeFields(fields);
    }
  }

  /** A streaming call waiting for its stream to drain goes on (and stops, if the stream closed). */
  #wake(): void {
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
  }

  /** Answers with `error` (masked and logged as today), unless the call is already answered. */
  #fail(error: unknown): void {
    if (this.#finished) return;
    runInRequestContext(this.#context, () => {
      const { procedure } = this.#route;
      const logger = this.#options.logger;
      // A database that is down or restarting is an outage, seen and reported by
      // health checks, not a fault of this call: a warning, not an error per call.
      const publicError = toPublicError(error, (cause) =>
        isDatabaseUnavailable(cause)
          ? logger.warn({ err: cause, procedure }, "database unavailable")
          : logger.error({ err: cause, procedure }, "unexpected error"),
      );
      logger.info(
        { procedure, code: publicError.code, ms: this.#elapsed() },
        `rpc failed: ${publicError.rawMessage}`,
      );
      const trailers = errorTrailers(publicError);
      this.#finish(publicError);
      if (this.#stream.headersSent) {
        this.#trailers = trailers;
        this.#stream.end(undefined, this.#trailerBlock());
      } else {
        const extra = {
          ...headersToRecord(this.responseHeaderIfSet),
          ...headersToRecord(this.responseTrailerIfSet),
        };
        this.#stream.respond(this.#encodeWithExtras(extra, { ...RESPONSE_HEADERS, ...trailers }), true);
      }
    });
  }

  #onClose(): void {
    this.#wake();
    // Closed before we answered: the client canceled, or its connection went away.
    if (!this.#finished) {
      runInRequestContext(this.#context, () =>
        this.#options.logger.info(
          { procedure: this.#route.procedure, code: Code.Canceled, ms: this.#elapsed() },
          "rpc failed: the client canceled the call",
        ),
      );
      this.#finish(new ConnectError("the client canceled the call", Code.Canceled));
    }
  }

  /** Marks the call answered and aborts its signal (as Connect does, also on success). */
  #finish(reason: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#reader = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#options.inFlight.delete(this);
    this.abortSignal(reason);
    const code =
      reason === COMPLETED ? undefined : reason instanceof ConnectError ? reason.code : Code.Unknown;
    this.#options.onCallFinished?.(this.#route.method, code, (performance.now() - this.#started) / 1000);
  }

  #elapsed(): number {
    return Math.round(performance.now() - this.#started);
  }
}

function decode(method: DescMethod, bytes: Uint8Array): unknown {
  try {
    return fromBinary(method.input, bytes);
  } catch (error) {
    throw new ConnectError(
      `the request is not a valid ${method.input.typeName}: ${String(error)}`,
      Code.InvalidArgument,
    );
  }
}
