/**
 * The server side of HTTP/2 connections, for our gRPC server: a client opens
 * a stream with a header block, sends its body, and the server answers with
 * headers, DATA and trailers. What both ends share is in http2-connection.ts,
 * with why we do not use node:http2.
 *
 * Compared with node:http2, a unary answer (headers, message and trailers)
 * goes out in one write: node:http2 sends the trailers one event-loop turn
 * after the message, which at low rates costs a write and often a wake-up of
 * the caller of their own.
 */
import * as net from "node:net";
import { type HeaderFields, HpackLiteralWriter } from "./hpack.ts";
import {
  ErrorCode,
  goawayFrame,
  Http2Connection,
  PREFACE,
  Setting,
  StreamState,
} from "./http2-connection.ts";

/** What a stream tells whoever handles it. */
export interface ServerStreamListener {
  /** A part of the request body. */
  onData(chunk: Buffer): void;
  /** The request is complete. */
  onEnd(): void;
  /** The stream ended before its answer did: the client reset it, or its connection is gone. Told once. */
  onClose(): void;
  /** What was written has all been sent. */
  onDrain?(): void;
}

/** Header fields to send: values are written as they are, numbers as decimals. */
export type OutgoingFields = Readonly<Record<string, string | number>>;

/** One request, and its answer. */
export class ServerStream extends StreamState {
  readonly headers: HeaderFields;
  /** Request bytes received while the request is still open (its handler has not run yet). */
  unfinishedBytes = 0;
  readonly #connection: Http2ServerConnection;
  listener: ServerStreamListener | undefined;
  headersSent = false;
  /** Its handler is running (hold) and has not finished (release). */
  running = false;
  /** The client reset it while its handler was running: it still counts against the limit. */
  abandoned = false;

  constructor(connection: Http2ServerConnection, id: number, headers: HeaderFields) {
    super();
    this.#connection = connection;
    this.id = id;
    this.headers = headers;
  }

  /** Whether an answer can still be sent. */
  get writable(): boolean {
    return !this.closed && !this.localEnded;
  }

  /**
   * The stream's handler starts work. Until release(), the stream counts against the
   * connection's concurrency limit even if the client resets it, so that a client cannot
   * start unbounded work by opening and resetting streams (the "rapid reset" attack).
   */
  hold(): void {
    this.running = true;
  }

  /** The stream's handler is done. */
  release(): void {
    this.running = false;
    if (this.abandoned) {
      this.abandoned = false;
      this.#connection.abandonedReleased();
    }
  }

  /** Sends the response headers (a header block, or fields to encode); with `endStream`, they are the whole answer. */
  respond(headers: Buffer | OutgoingFields, endStream = false): void {
    if (this.headersSent || !this.writable) return;
    this.headersSent = true;
    this.#connection.sendHeaders(this, encodeFields(headers), endStream);
  }

  /** Sends part of the body; false when flow control holds some of it back (onDrain tells when it is sent). */
  write(data: Buffer): boolean {
    if (!this.writable) return false;
    return this.#connection.sendBody(this, data);
  }

  /** Sends the last of the body, if any, then the trailers, which end the stream. */
  end(data: Buffer | undefined, trailers: Buffer | OutgoingFields): void {
    if (!this.writable) return;
    this.#connection.sendBody(this, data, encodeFields(trailers));
  }
}

/** `fields` as an HPACK block of literals (pseudo-headers first, as HTTP/2 requires). Throws TypeError on a bad field. */
export function encodeFields(fields: Buffer | OutgoingFields): Buffer {
  if (Buffer.isBuffer(fields)) return fields;
  const writer = new HpackLiteralWriter();
  for (const name of Object.keys(fields)) {
    if (name.charCodeAt(0) === 58) writer.add(name, String(fields[name]), true);
  }
  for (const name of Object.keys(fields)) {
    if (name.charCodeAt(0) !== 58) writer.add(name, String(fields[name]));
  }
  return writer.toBuffer();
}

export interface Http2ServerConnectionOptions {
  /** Told of each new stream, which it must give a listener. */
  readonly onStream: (stream: ServerStream) => void;
  /** Streams one client may have open at once; more are refused. */
  readonly maxConcurrentStreams: number;
  /** Told once, when the connection is closed. */
  readonly onClose?: () => void;
  /** Told of a fault of ours (not the client's) that ended the connection; its streams close. */
  readonly onInternalError?: (error: unknown) => void;
  /** Time a new connection has to send the preface and its SETTINGS (10 s by default). */
  readonly handshakeTimeoutMs?: number;
  /**
   * Age (give or take a tenth, so that connections made together do not all go at
   * once) past which a connection is asked to go away: GOAWAY, its open streams
   * finish, and the client's next calls open a new connection. Behind a load
   * balancer that spreads connections, not requests, that is what spreads a
   * long-lived client over replicas added since it connected. Unset: no limit.
   */
  readonly maxConnectionAgeMs?: number;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Request bytes one connection may hold in requests not yet complete. Flow control
 * credits data as it arrives, so this bounds the memory a client can tie up across
 * many open streams (node:http2's maxSessionMemory played this part).
 */
const MAX_UNFINISHED_REQUEST_BYTES = 32 * 1024 * 1024;

/** The server side of one accepted connection. */
export class Http2ServerConnection extends Http2Connection<ServerStream> {
  readonly #options: Http2ServerConnectionOptions;
  /** The client's preface, until all of it has arrived. */
  #preface: Buffer | undefined = Buffer.alloc(0);
  #lastStreamId = 0;
  #goingAway = false;
  #unfinishedBytes = 0;
  /** Streams the client reset whose handlers still run. */
  #abandoned = 0;

  constructor(socket: net.Socket, options: Http2ServerConnectionOptions) {
    super(socket);
    this.#options = options;
    this.queueSettings([[Setting.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams]]);
    // A client that connects and never says hello (the preface and its SETTINGS)
    // would hold the connection for good: it gets a few seconds.
    const handshakeMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    setTimeout(() => {
      if (!this.settingsSeen && !this.destroyedFlag) this.connectionError(ErrorCode.SETTINGS_TIMEOUT);
    }, handshakeMs).unref();
    if (options.maxConnectionAgeMs !== undefined) {
      const age = options.maxConnectionAgeMs * (0.9 + 0.2 * Math.random());
      setTimeout(() => this.shutdown(), age).unref();
    }
  }

  /** GOAWAY: no new streams; the connection closes once the open ones end. */
  shutdown(): void {
    if (this.#goingAway || this.destroyedFlag) return;
    this.#goingAway = true;
    this.queue(goawayFrame(this.#lastStreamId, ErrorCode.NO_ERROR));
    this.#closeIfDone();
  }

  sendHeaders(stream: ServerStream, block: Buffer, endStream: boolean): void {
    this.queueHeaders(stream.id, block, endStream);
    if (endStream) {
      stream.localEnded = true;
      this.onLocalEnd(stream);
    }
  }

  sendBody(stream: ServerStream, data: Buffer | undefined, trailers?: Buffer): boolean {
    return this.sendData(stream, data, trailers);
  }

  protected override receive(chunk: Buffer): void {
    if (this.#preface === undefined) {
      super.receive(chunk);
      return;
    }
    // The client's first bytes must be the connection preface: anything else is not HTTP/2.
    const received = Buffer.concat([this.#preface, chunk]);
    const compared = Math.min(received.length, PREFACE.length);
    if (!received.subarray(0, compared).equals(PREFACE.subarray(0, compared))) {
      this.connectionError(ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (received.length < PREFACE.length) {
      this.#preface = received;
      return;
    }
    this.#preface = undefined;
    if (received.length > PREFACE.length) super.receive(received.subarray(PREFACE.length));
  }

  protected onInternalError(error: unknown): void {
    this.#options.onInternalError?.(error);
  }

  protected closed(): void {
    for (const stream of [...this.streams.values()]) {
      this.removeStream(stream);
      this.#closed(stream);
    }
    this.#options.onClose?.();
  }

  protected isIdle(streamId: number): boolean {
    return streamId > this.#lastStreamId || streamId % 2 === 0;
  }

  protected onHeaderBlock(streamId: number, fields: HeaderFields, endStream: boolean): number | undefined {
    if (streamId % 2 === 0) return ErrorCode.PROTOCOL_ERROR;
    const stream = this.streams.get(streamId);
    if (stream !== undefined) {
      // Trailers of the request: they must end it.
      if (!endStream || stream.remoteEnded) return ErrorCode.PROTOCOL_ERROR;
      stream.remoteEnded = true;
      this.#remoteEnd(stream);
      return undefined;
    }
    // A stream that is over (reset, or answered and closed): whatever was on its way is dropped.
    if (streamId <= this.#lastStreamId) return undefined;
    this.#lastStreamId = streamId;
    if (this.#goingAway || this.streams.size + this.#abandoned >= this.#options.maxConcurrentStreams) {
      const refused = new ServerStream(this, streamId, fields);
      this.resetStream(refused, ErrorCode.REFUSED_STREAM);
      return undefined;
    }
    const opened = new ServerStream(this, streamId, fields);
    opened.sendWindow = this.peerInitialWindow;
    opened.headerBlocks = 1;
    opened.remoteEnded = endStream;
    this.streams.set(streamId, opened);
    if (
      typeof fields[":method"] !== "string" ||
      typeof fields[":path"] !== "string" ||
      typeof fields[":scheme"] !== "string"
    ) {
      // A malformed request: a stream error (RFC 9113, 8.1.1).
      this.resetStream(opened, ErrorCode.PROTOCOL_ERROR);
      return undefined;
    }
    this.#options.onStream(opened);
    if (endStream && !opened.closed) opened.listener?.onEnd();
    return undefined;
  }

  protected onStreamData(stream: ServerStream, data: Buffer, endStream: boolean): void {
    stream.unfinishedBytes += data.length;
    this.#unfinishedBytes += data.length;
    if (this.#unfinishedBytes > MAX_UNFINISHED_REQUEST_BYTES) {
      this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, this.#lastStreamId);
      return;
    }
    if (data.length > 0) stream.listener?.onData(data);
    if (endStream && !stream.closed) this.#remoteEnd(stream);
  }

  #remoteEnd(stream: ServerStream): void {
    this.#forgetUnfinished(stream);
    stream.listener?.onEnd();
    // Answered already: the stream is over.
    if (stream.localEnded && !stream.closed) this.#release(stream);
  }

  protected onLocalEnd(stream: ServerStream): void {
    // The answer is complete. If the request is not, the client need send no more of it (RFC 9113, 8.1).
    if (!stream.remoteEnded) this.resetStream(stream, ErrorCode.NO_ERROR);
    this.#release(stream);
  }

  /** The stream ended with its answer: whoever answered knows, so its listener is not told. */
  #forgetUnfinished(stream: ServerStream): void {
    this.#unfinishedBytes -= stream.unfinishedBytes;
    stream.unfinishedBytes = 0;
  }

  #release(stream: ServerStream): void {
    this.#forgetUnfinished(stream);
    if (!stream.closed) this.removeStream(stream);
    stream.listener = undefined;
    this.#closeIfDone();
  }

  protected onStreamReset(stream: ServerStream): void {
    this.#closed(stream);
  }

  protected override onDrained(stream: ServerStream): void {
    stream.listener?.onDrain?.();
  }

  protected onGoaway(): void {
    // The client opens no more streams; those open finish as usual.
  }

  abandonedReleased(): void {
    this.#abandoned--;
  }

  #closed(stream: ServerStream): void {
    this.#forgetUnfinished(stream);
    if (stream.running && !stream.abandoned) {
      stream.abandoned = true;
      this.#abandoned++;
    }
    const listener = stream.listener;
    stream.listener = undefined;
    listener?.onClose();
    this.#closeIfDone();
  }

  #closeIfDone(): void {
    if (!this.#goingAway || this.streams.size > 0 || this.destroyedFlag) return;
    setImmediate(() => {
      if (this.destroyedFlag || this.streams.size > 0) return;
      this.flush();
      this.socket.end();
    });
  }
}

export interface Http2Server {
  readonly server: net.Server;
  /** Connections open now. */
  readonly connections: ReadonlySet<Http2ServerConnection>;
  /** Stops accepting connections and sends GOAWAY on the open ones, which close once their streams end. */
  shutdown(): void;
  /** Closes every connection at once. */
  destroy(): void;
}

/** A cleartext HTTP/2 server (h2c with prior knowledge, as gRPC clients speak it). */
export function createHttp2Server(
  options: Omit<Http2ServerConnectionOptions, "onClose"> & {
    readonly onConnectionError?: (error: Error) => void;
  },
): Http2Server {
  const connections = new Set<Http2ServerConnection>();
  let shuttingDown = false;
  const server = net.createServer((socket) => {
    // A connection that breaks (reset, protocol error) must not take the process with it.
    socket.on("error", (error) => options.onConnectionError?.(error));
    const connection = new Http2ServerConnection(socket, {
      ...options,
      onClose: () => connections.delete(connection),
    });
    connections.add(connection);
    if (shuttingDown) connection.shutdown();
  });
  return {
    server,
    connections,
    shutdown() {
      shuttingDown = true;
      server.close();
      for (const connection of connections) connection.shutdown();
    },
    destroy() {
      for (const connection of connections) connection.destroy();
    },
  };
}
