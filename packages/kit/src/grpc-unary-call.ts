/**
 * One unary gRPC call on an HTTP/2 stream, for grpc-http2-transport: sends
 * nothing itself, but collects the response (headers, framed message,
 * trailers) from the stream's events and settles the caller's promise once,
 * with the message or a ConnectError, when the stream closes, the deadline
 * passes or the caller's signal aborts.
 */
import * as http2 from "node:http2";
import { gunzipSync } from "node:zlib";
import { type DescMethodUnary, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import { codeFromHttpStatus, codeFromRstCode, statusError } from "./grpc-client-status.ts";
import { type Frame, FrameReader } from "./grpc-framing.ts";
import { toHeaders } from "./http2-headers.ts";

const CALL = Symbol("call");
/** The error of a call whose connection failed or went away. */
export const unavailable = () => new ConnectError("service unavailable", Code.Unavailable);

/** One HTTP/2 connection and the calls in flight on it. */
export interface CallSession {
  readonly http: http2.ClientHttp2Session;
  active: number;
  usedSincePing: boolean;
  awaitingPong: boolean;
}

type Settle = (response: UnaryResponse) => void;
type CallStream = http2.ClientHttp2Stream & { [CALL]?: UnaryCall };

// Shared listeners: each call is found on its stream, so no closure per call.
function onResponse(this: CallStream, headers: http2.IncomingHttpHeaders): void {
  const call = this[CALL];
  if (call !== undefined) call.headers = headers;
}
function onData(this: CallStream, chunk: Buffer): void {
  this[CALL]?.receive(chunk);
}
function onTrailers(this: CallStream, trailers: http2.IncomingHttpHeaders): void {
  const call = this[CALL];
  if (call !== undefined) call.trailers = trailers;
}
function onStreamError(this: CallStream, error: Error): void {
  const call = this[CALL];
  if (call !== undefined) call.streamError = error;
}
function onClose(this: CallStream): void {
  this[CALL]?.closed();
}
function onDeadline(call: UnaryCall): void {
  call.fail(new ConnectError("deadline exceeded", Code.DeadlineExceeded));
}

/** The state of one unary call, from request to settlement. */
class UnaryCall {
  readonly method: DescMethodUnary;
  readonly session: CallSession;
  readonly stream: CallStream;
  readonly reader: FrameReader;
  readonly maxResponseBytes: number;
  readonly resolve: Settle;
  readonly reject: (error: ConnectError) => void;
  signal: AbortSignal | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  headers: http2.IncomingHttpHeaders | undefined = undefined;
  trailers: http2.IncomingHttpHeaders | undefined = undefined;
  streamError: Error | undefined = undefined;
  message: Frame | undefined = undefined;
  settled = false;

  constructor(
    method: DescMethodUnary,
    session: CallSession,
    stream: CallStream,
    maxResponseBytes: number,
    resolve: Settle,
    reject: (error: ConnectError) => void,
  ) {
    this.method = method;
    this.session = session;
    this.stream = stream;
    this.reader = new FrameReader(maxResponseBytes);
    this.maxResponseBytes = maxResponseBytes;
    this.resolve = resolve;
    this.reject = reject;
  }

  receive(chunk: Buffer): void {
    if (this.settled) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      // The reader refuses an oversize frame (ResourceExhausted) before buffering it.
      this.fail(ConnectError.from(error, Code.Internal));
      return;
    }
    if (frames.length === 0) return;
    if (this.message !== undefined || frames.length > 1) {
      this.fail(new ConnectError("unary response has more than one message", Code.Unimplemented));
      return;
    }
    this.message = frames[0];
  }

  /** AbortSignal listener (an object, so that no closure is made per call). */
  handleEvent(): void {
    this.fail(ConnectError.from(this.signal?.reason, Code.Canceled));
  }

  /** Settles with `error` and cancels the stream, if not settled yet. */
  fail(error: ConnectError): void {
    if (this.settled) return;
    this.settle();
    if (!this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
    this.reject(error);
  }

  settle(): void {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this);
  }

  /** The stream is gone: settle from what arrived, and release the connection. */
  closed(): void {
    this.stream[CALL] = undefined;
    if (--this.session.active === 0) this.session.http.unref();
    if (this.settled) return;
    const outcome = this.outcome();
    this.settle();
    if (outcome instanceof ConnectError) this.reject(outcome);
    else this.resolve(outcome);
  }

  outcome(): UnaryResponse | ConnectError {
    const { headers, trailers } = this;
    const metadata = () => toHeaders(trailers, toHeaders(headers));
    const error = statusError(trailers ?? headers ?? {}, metadata);
    if (error === undefined) {
      const status = Number(headers?.[":status"] ?? 0);
      if (status !== 0 && status !== 200) {
        return new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), metadata());
      }
      // The connection failed or is going away: the caller may try again on a new one.
      if (this.session.http.destroyed || this.session.http.closed) return unavailable();
      const rstCode = this.stream.rstCode ?? http2.constants.NGHTTP2_NO_ERROR;
      if (rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
        return new ConnectError(`stream reset (${rstCode})`, codeFromRstCode(rstCode), metadata());
      }
      if (this.streamError !== undefined) return unavailable();
      return new ConnectError("response without grpc-status", Code.Internal, metadata());
    }
    if (error !== null) return error;
    return this.decode(metadata);
  }

  decode(metadata: () => Headers): UnaryResponse | ConnectError {
    const frame = this.message;
    if (frame === undefined || this.reader.hasPartialFrame) {
      return new ConnectError("unary response without exactly one message", Code.Unimplemented, metadata());
    }
    let bytes: Uint8Array = frame.data;
    try {
      if (frame.compressed) {
        if (this.headers?.["grpc-encoding"] !== "gzip") {
          return new ConnectError("compressed response without a known grpc-encoding", Code.Internal);
        }
        bytes = gunzipSync(frame.data, { maxOutputLength: this.maxResponseBytes });
      }
      const message = fromBinary(this.method.output, bytes);
      return new Response(this.method, message, this.headers, this.trailers);
    } catch (cause) {
      return new ConnectError("cannot decode the response", Code.Internal, undefined, undefined, cause);
    }
  }
}

/** A UnaryResponse whose header and trailer become Headers only if read. */
class Response implements UnaryResponse {
  readonly stream = false as const;
  readonly method: DescMethodUnary;
  readonly message: UnaryResponse["message"];
  #headers: http2.IncomingHttpHeaders | Headers | undefined;
  #trailers: http2.IncomingHttpHeaders | Headers | undefined;

  constructor(
    method: DescMethodUnary,
    message: UnaryResponse["message"],
    headers: http2.IncomingHttpHeaders | undefined,
    trailers: http2.IncomingHttpHeaders | undefined,
  ) {
    this.method = method;
    this.message = message;
    this.#headers = headers;
    this.#trailers = trailers;
  }
  get service() {
    return this.method.parent;
  }
  get header(): Headers {
    if (!(this.#headers instanceof Headers)) this.#headers = toHeaders(this.#headers);
    return this.#headers;
  }
  get trailer(): Headers {
    if (!(this.#trailers instanceof Headers)) this.#trailers = toHeaders(this.#trailers);
    return this.#trailers;
  }
}

/**
 * Follows the call on `stream` (already requested on `session`), failing it
 * after `timeoutMs` or when `signal` aborts.
 */
export function followUnaryCall(
  session: CallSession,
  stream: http2.ClientHttp2Stream,
  method: DescMethodUnary,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  maxResponseBytes: number,
): Promise<UnaryResponse> {
  if (session.active++ === 0) session.http.ref();
  session.usedSincePing = true;
  const { promise, resolve, reject } = Promise.withResolvers<UnaryResponse>();
  const call = new UnaryCall(method, session, stream, maxResponseBytes, resolve, reject);
  const callStream = stream as CallStream;
  callStream[CALL] = call;
  stream.on("response", onResponse);
  stream.on("data", onData);
  stream.on("trailers", onTrailers);
  stream.on("error", onStreamError);
  stream.on("close", onClose);
  if (timeoutMs !== undefined) call.timer = setTimeout(onDeadline, timeoutMs, call);
  if (signal !== undefined) {
    call.signal = signal;
    signal.addEventListener("abort", call);
  }
  return promise;
}
