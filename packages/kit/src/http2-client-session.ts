/**
 * The client side of one HTTP/2 connection, for our gRPC client's unary
 * calls: a request is a header block and a body sent at once, and the answer
 * comes back as header blocks and DATA to a listener. What both ends share is
 * in http2-connection.ts, with why we do not use node:http2.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { HeaderFields } from "./hpack.ts";
import {
  ErrorCode,
  Http2Connection,
  MAX_STREAM_ID,
  PREFACE,
  rstStreamFrame,
  Setting,
  StreamState,
} from "./http2-connection.ts";

export { ErrorCode } from "./http2-connection.ts";

/** What a stream tells its owner. */
export interface StreamListener {
  /** A header block: the response's headers, or with `endStream` its trailers (or a trailers-only response). */
  onHeaders(fields: HeaderFields, endStream: boolean): void;
  /** A part of the response body. */
  onData(chunk: Buffer): void;
  /**
   * The stream is over, once: `errorCode` is NO_ERROR after a whole response,
   * the peer's RST_STREAM code otherwise; `lost` when the connection failed or
   * went away under it, so the call may be tried again on a new one.
   */
  onClose(errorCode: number, lost: boolean): void;
}

/** One request on the session. */
export class ClientStream extends StreamState {
  readonly listener: StreamListener;
  readonly #session: Http2ClientSession;
  /** The request's header block and body, until the stream is opened. */
  request: { readonly headers: Buffer; readonly body: Buffer } | undefined;
  /** The listener has heard the end, or the owner cancelled: it hears nothing more. */
  finished = false;

  constructor(session: Http2ClientSession, headers: Buffer, body: Buffer, listener: StreamListener) {
    super();
    this.#session = session;
    this.request = { headers, body };
    this.listener = listener;
  }

  /** Abandons the request, resetting the stream with `errorCode`; the listener hears nothing more. */
  cancel(errorCode: number = ErrorCode.CANCEL): void {
    this.#session.cancel(this, errorCode);
  }
}

export interface Http2ClientSessionOptions {
  readonly host: string;
  readonly port: number;
  /** TLS with ALPN "h2" instead of cleartext HTTP/2. */
  readonly tls?: boolean;
  /** Told once, when the session can take no more streams: it went away, failed or closed. */
  readonly onUnusable?: () => void;
  /** Told once, when the connection is closed. */
  readonly onClose?: () => void;
  /** Told of a fault of ours (not the server's) that ended the connection; its calls fail. */
  readonly onInternalError?: (error: unknown) => void;
}

/** One HTTP/2 connection to a server, opened at construction. */
export class Http2ClientSession extends Http2Connection<ClientStream> {
  readonly #options: Http2ClientSessionOptions;
  /** Requests waiting for the peer's concurrency limit, in order. */
  readonly #waiting: ClientStream[] = [];
  #nextStreamId = 1;
  #peerMaxConcurrent = Number.POSITIVE_INFINITY;
  #goingAway = false;

  constructor(options: Http2ClientSessionOptions) {
    const { host, port } = options;
    super(
      options.tls
        ? tls.connect({ host, port, ALPNProtocols: ["h2"], servername: net.isIP(host) ? undefined : host })
        : net.connect({ host, port }),
    );
    this.#options = options;
    if (options.tls) {
      this.socket.once("secureConnect", () => {
        if ((this.socket as tls.TLSSocket).alpnProtocol !== "h2") this.destroy();
      });
    }
    this.queue(PREFACE);
    this.queueSettings([[Setting.ENABLE_PUSH, 0]]);
  }

  /** Whether new requests may go on this session. */
  get usable(): boolean {
    return !this.#goingAway && !this.destroyedFlag && this.#nextStreamId <= MAX_STREAM_ID;
  }

  /** Streams open or waiting. */
  get activeStreams(): number {
    return this.streams.size + this.#waiting.length;
  }

  /** Sends a request: its header block (HPACK) and its whole body, which ends the request. */
  request(headers: Buffer, body: Buffer, listener: StreamListener): ClientStream {
    const stream = new ClientStream(this, headers, body, listener);
    if (!this.usable) queueMicrotask(() => this.#finish(stream, ErrorCode.REFUSED_STREAM, true));
    else if (this.streams.size >= this.#peerMaxConcurrent) this.#waiting.push(stream);
    else this.#open(stream);
    return stream;
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }

  cancel(stream: ClientStream, errorCode: number): void {
    if (stream.finished) return;
    stream.finished = true;
    if (stream.id === 0) {
      const index = this.#waiting.indexOf(stream);
      if (index >= 0) this.#waiting.splice(index, 1);
      return;
    }
    if (!stream.closed && !this.destroyedFlag) this.resetStream(stream, errorCode);
    this.#afterStreamEnd();
  }

  protected onInternalError(error: unknown): void {
    this.#options.onInternalError?.(error);
  }

  protected closed(): void {
    this.#becomeUnusable();
    const streams = [...this.streams.values(), ...this.#waiting.splice(0)];
    for (const stream of streams) this.#finish(stream, ErrorCode.CANCEL, true);
    this.#options.onClose?.();
  }

  #open(stream: ClientStream): void {
    const request = stream.request;
    stream.request = undefined;
    if (request === undefined || this.#nextStreamId > MAX_STREAM_ID) {
      this.#finish(stream, ErrorCode.REFUSED_STREAM, true);
      return;
    }
    stream.id = this.#nextStreamId;
    this.#nextStreamId += 2;
    if (this.#nextStreamId > MAX_STREAM_ID) this.#becomeUnusable();
    stream.sendWindow = this.peerInitialWindow;
    this.streams.set(stream.id, stream);
    this.queueHeaders(stream.id, request.headers, false);
    this.sendData(stream, request.body, true);
  }

  /** The stream is over: it leaves the session, and its listener hears so unless it was cancelled. */
  #finish(stream: ClientStream, errorCode: number, lost: boolean): void {
    if (!stream.closed && stream.id !== 0) this.removeStream(stream);
    if (stream.finished) return;
    stream.finished = true;
    this.#afterStreamEnd();
    stream.listener.onClose(errorCode, lost);
  }

  /** A stream left: one waiting may take its place, and a session going away may close. */
  #afterStreamEnd(): void {
    if (this.destroyedFlag) return;
    while (this.#waiting.length > 0 && this.streams.size < this.#peerMaxConcurrent) {
      this.#open(this.#waiting.shift() as ClientStream);
    }
    if (this.#goingAway && this.activeStreams === 0) this.#endSoon();
  }

  #becomeUnusable(): void {
    if (this.#goingAway) return;
    this.#goingAway = true;
    this.#options.onUnusable?.();
  }

  /** Closes the connection once what is queued has been written. */
  #endSoon(): void {
    setImmediate(() => {
      if (this.destroyedFlag || this.activeStreams > 0) return;
      this.flush();
      this.socket.end();
    });
  }

  protected isIdle(streamId: number): boolean {
    return streamId >= this.#nextStreamId || streamId % 2 === 0;
  }

  protected onHeaderBlock(streamId: number, fields: HeaderFields, endStream: boolean): number | undefined {
    if (this.isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    stream.headerBlocks++;
    // Headers, then trailers: a third block, or trailers that do not end the stream, break gRPC's framing.
    if (stream.headerBlocks > 2 || (stream.headerBlocks === 2 && !endStream)) {
      this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      this.#finish(stream, ErrorCode.PROTOCOL_ERROR, false);
      return undefined;
    }
    stream.listener.onHeaders(fields, endStream);
    if (endStream) {
      stream.remoteEnded = true;
      if (!stream.finished) this.#endOfResponse(stream);
    }
    return undefined;
  }

  protected onStreamData(stream: ClientStream, data: Buffer, endStream: boolean): void {
    if (data.length > 0) stream.listener.onData(data);
    if (endStream && !stream.finished) this.#endOfResponse(stream);
  }

  /** The peer ended its side: the stream is done (a request body still held back is dropped). */
  #endOfResponse(stream: ClientStream): void {
    if (!stream.localEnded) this.queue(rstStreamFrame(stream.id, ErrorCode.NO_ERROR));
    this.#finish(stream, ErrorCode.NO_ERROR, false);
  }

  protected onStreamReset(stream: ClientStream, errorCode: number): void {
    // A refused stream was never processed: it may be tried again elsewhere.
    this.#finish(stream, errorCode, errorCode === ErrorCode.REFUSED_STREAM);
  }

  protected onLocalEnd(): void {
    // The response ends the stream.
  }

  protected override onSetting(id: number, value: number): number | undefined {
    if (id === Setting.MAX_CONCURRENT_STREAMS) {
      this.#peerMaxConcurrent = value;
      this.#afterStreamEnd();
    }
    return undefined;
  }

  protected onGoaway(lastStreamId: number): void {
    this.#becomeUnusable();
    // Streams the server will not process, and requests not yet sent, may be tried again elsewhere.
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId) this.#finish(stream, ErrorCode.REFUSED_STREAM, true);
    }
    for (const stream of this.#waiting.splice(0)) this.#finish(stream, ErrorCode.REFUSED_STREAM, true);
    if (this.activeStreams === 0) this.#endSoon();
  }
}
