/**
 * One unary gRPC call on an HTTP/2 stream of our client session: collects the
 * response (headers, framed message, trailers) as the session hands it over,
 * and settles the caller's promise once, with the message or a ConnectError,
 * when the stream closes, the deadline passes or the caller's signal aborts.
 */
import { gunzipSync } from "node:zlib";
import { type DescMethodUnary, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import { codeFromHttpStatus, codeFromRstCode, statusError } from "./grpc-client-status.ts";
import { type Frame, FrameReader } from "./grpc-framing.ts";
import type { HeaderFields } from "./hpack.ts";
import { type ClientStream, ErrorCode, type StreamListener } from "./http2-client-session.ts";
import { toHeaders } from "./http2-headers.ts";

/** The error of a call whose connection failed or went away. */
export const unavailable = () => new ConnectError("service unavailable", Code.Unavailable);

type Settle = (response: UnaryResponse) => void;

/** What a call tells when it settles (the connection it holds open, say). */
export interface CallOwner {
  release(): void;
}

function onDeadline(call: UnaryCall): void {
  call.fail(new ConnectError("deadline exceeded", Code.DeadlineExceeded));
}

/** The state of one unary call, from request to settlement. */
export class UnaryCall implements StreamListener {
  readonly method: DescMethodUnary;
  readonly reader: FrameReader;
  readonly maxResponseBytes: number;
  readonly resolve: Settle;
  readonly reject: (error: ConnectError) => void;
  /** Told once, when the call settles (the owner of the stream the call is on now). */
  owner: CallOwner;
  stream: ClientStream | undefined = undefined;
  /**
   * Sends the call again on another stream; false if it cannot (the deadline is near,
   * the transport closed). Set by the transport; used at most once per call.
   */
  reissue: (() => boolean) | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  headers: HeaderFields | undefined = undefined;
  trailers: HeaderFields | undefined = undefined;
  message: Frame | undefined = undefined;
  settled = false;

  constructor(
    method: DescMethodUnary,
    maxResponseBytes: number,
    resolve: Settle,
    reject: (error: ConnectError) => void,
    owner: CallOwner,
  ) {
    this.method = method;
    this.reader = new FrameReader(maxResponseBytes);
    this.maxResponseBytes = maxResponseBytes;
    this.resolve = resolve;
    this.reject = reject;
    this.owner = owner;
  }

  /** Starts the deadline and listens to `signal`, once the call is on its stream. */
  follow(stream: ClientStream, timeoutMs: number | undefined, signal: AbortSignal | undefined): void {
    this.stream = stream;
    if (this.settled) return;
    if (timeoutMs !== undefined) this.timer = setTimeout(onDeadline, timeoutMs, this);
    if (signal !== undefined) {
      this.signal = signal;
      signal.addEventListener("abort", this);
    }
  }

  /** The first block is the headers (with the status itself in a trailers-only response), the second the trailers. */
  onHeaders(fields: HeaderFields): void {
    if (this.headers === undefined) this.headers = fields;
    else this.trailers = fields;
  }

  onData(chunk: Buffer): void {
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
    this.stream?.cancel(ErrorCode.CANCEL);
    this.reject(error);
  }

  settle(): void {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this);
    this.owner.release();
  }

  /** The stream is over: settle from what arrived. */
  onClose(errorCode: number, lost: boolean): void {
    if (this.settled) return;
    // Refused, with nothing of an answer received: the server did not process the call
    // (RFC 9113, 8.7), so it is sent again once, whatever the method (gRPC's
    // transparent retry). A service's graceful shutdown or a replica going away then
    // costs its callers no failed calls.
    if (lost && errorCode === ErrorCode.REFUSED_STREAM && this.headers === undefined) {
      const reissue = this.reissue;
      this.reissue = undefined;
      if (reissue?.()) return;
    }
    const outcome = this.outcome(errorCode, lost);
    this.settle();
    if (outcome instanceof ConnectError) this.reject(outcome);
    else this.resolve(outcome);
  }

  outcome(errorCode: number, lost: boolean): UnaryResponse | ConnectError {
    const { headers, trailers } = this;
    const metadata = () => toHeaders(trailers, toHeaders(headers));
    const error = statusError(trailers ?? headers ?? {}, metadata);
    if (error === undefined) {
      const status = Number(headers?.[":status"] ?? 0);
      if (status !== 0 && status !== 200) {
        return new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), metadata());
      }
      // The connection failed or is going away: the caller may try again on a new one.
      if (lost) return unavailable();
      if (errorCode !== ErrorCode.NO_ERROR) {
        return new ConnectError(`stream reset (${errorCode})`, codeFromRstCode(errorCode), metadata());
      }
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
  #headers: HeaderFields | Headers | undefined;
  #trailers: HeaderFields | Headers | undefined;

  constructor(
    method: DescMethodUnary,
    message: UnaryResponse["message"],
    headers: HeaderFields | undefined,
    trailers: HeaderFields | undefined,
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
