/**
 * The client side of one HTTP/2 connection (RFC 9113), written for our gRPC
 * client's unary calls: a request is a header block and a body sent at once,
 * and the answer comes back as header blocks and DATA to a listener.
 *
 * Why not node:http2's client: every call there makes a Duplex stream and its
 * events, and crosses into nghttp2 several times; measured with 32 calls in
 * flight on loopback, that cost ~35 µs of client CPU per call, against ~8 µs
 * for a bare length-prefixed exchange on a socket. Every skyros request makes
 * one to three internal calls, so the gateway and the services spent more on
 * their clients' HTTP/2 than on anything else. This session keeps per call a
 * small object and a map entry, and writes the frames of all calls of one
 * event-loop turn in one write.
 *
 * It speaks all of HTTP/2 that a server may use towards a client: SETTINGS,
 * flow control both ways, PING, GOAWAY, RST_STREAM, CONTINUATION, padding,
 * HPACK with Huffman strings and a dynamic table. What a client never needs it
 * refuses: server push (disabled in our SETTINGS). It does not sort or
 * prioritise streams.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { type HeaderFields, HpackDecoder, HpackError } from "./hpack.ts";

/** Error codes of RFC 9113, section 7. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME_HEADER_BYTES = 9;
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
const MAX_STREAM_ID = 2 ** 31 - 1;
/** The frame size we accept, the protocol's default (we do not raise it). */
const MAX_FRAME_SIZE = 16_384;
/** How much each stream, and the connection, may have in flight towards us. */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** The largest header block (all its frames together) accepted before decoding. */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;
/** Frames are written together when their total stays under this; larger ones go as a writev. */
const CONCAT_LIMIT = 64 * 1024;

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
export class ClientStream {
  /** 0 until the stream is opened (it may wait for the peer's concurrency limit). */
  id = 0;
  readonly listener: StreamListener;
  readonly #session: Http2ClientSession;
  headerBlock: Buffer | undefined;
  /** Body bytes not yet sent (flow control may hold them back). */
  pending: Buffer | undefined;
  sendWindow = 0;
  recvAvailable = STREAM_WINDOW;
  recvConsumed = 0;
  /** Header blocks received so far. */
  headerBlocks = 0;
  closed = false;

  constructor(session: Http2ClientSession, headerBlock: Buffer, body: Buffer, listener: StreamListener) {
    this.#session = session;
    this.headerBlock = headerBlock;
    this.pending = body;
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
}

/** A header block spread over HEADERS and CONTINUATION frames. */
interface HeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly parts: Buffer[];
  size: number;
}

/** One HTTP/2 connection to a server, opened at construction. */
export class Http2ClientSession {
  readonly #socket: net.Socket;
  readonly #options: Http2ClientSessionOptions;
  readonly #streams = new Map<number, ClientStream>();
  /** Requests waiting for the peer's concurrency limit, in order. */
  readonly #waiting: ClientStream[] = [];
  /** Open streams with body bytes held back by flow control. */
  readonly #blocked = new Set<ClientStream>();
  readonly #decoder = new HpackDecoder();
  readonly #pings: ((error: Error | null) => void)[] = [];
  #nextStreamId = 1;
  #peerMaxConcurrent = Number.POSITIVE_INFINITY;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = MAX_FRAME_SIZE;
  #connectionSendWindow = DEFAULT_WINDOW;
  #connectionRecvAvailable = CONNECTION_WINDOW;
  #connectionRecvConsumed = 0;
  #received: Buffer | undefined;
  #settingsSeen = false;
  #headerBlock: HeaderBlock | undefined;
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  #goingAway = false;
  #destroyed = false;

  constructor(options: Http2ClientSessionOptions) {
    this.#options = options;
    const { host, port } = options;
    this.#socket = options.tls
      ? tls.connect({ host, port, ALPNProtocols: ["h2"], servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    this.#socket.setNoDelay(true);
    this.#socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on("error", () => this.destroy());
    this.#socket.on("close", () => this.destroy());
    if (options.tls) {
      this.#socket.once("secureConnect", () => {
        if ((this.#socket as tls.TLSSocket).alpnProtocol !== "h2") this.destroy();
      });
    }
    this.#queue(PREFACE);
    this.#queue(
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
        [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK_BYTES],
      ]),
    );
    this.#queue(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
  }

  /** Whether new requests may go on this session. */
  get usable(): boolean {
    return !this.#goingAway && !this.#destroyed && this.#nextStreamId <= MAX_STREAM_ID;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Streams open or waiting. */
  get activeStreams(): number {
    return this.#streams.size + this.#waiting.length;
  }

  /** Sends a request: its header block (HPACK) and its whole body, which ends the request. */
  request(headerBlock: Buffer, body: Buffer, listener: StreamListener): ClientStream {
    const stream = new ClientStream(this, headerBlock, body, listener);
    if (!this.usable) {
      queueMicrotask(() => listener.onClose(ErrorCode.REFUSED_STREAM, true));
      stream.closed = true;
      return stream;
    }
    if (this.#streams.size >= this.#peerMaxConcurrent) this.#waiting.push(stream);
    else this.#open(stream);
    return stream;
  }

  /** Sends a PING; `callback` hears its ACK, or an error if the connection ends first. */
  ping(callback: (error: Error | null) => void): void {
    if (this.#destroyed) {
      callback(new Error("connection closed"));
      return;
    }
    this.#pings.push(callback);
    this.#queue(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  /** Closes the connection at once: streams in flight close as lost. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#becomeUnusable();
    this.#destroyed = true;
    this.#socket.destroy();
    const streams = [...this.#streams.values(), ...this.#waiting];
    this.#streams.clear();
    this.#waiting.length = 0;
    this.#blocked.clear();
    for (const stream of streams) this.#finish(stream, ErrorCode.CANCEL, true);
    for (const callback of this.#pings.splice(0)) callback(new Error("connection closed"));
    this.#options.onClose?.();
  }

  cancel(stream: ClientStream, errorCode: number): void {
    if (stream.closed) return;
    stream.closed = true;
    if (stream.id === 0) {
      const index = this.#waiting.indexOf(stream);
      if (index >= 0) this.#waiting.splice(index, 1);
      return;
    }
    this.#forget(stream);
    if (!this.#destroyed) this.#queue(rstStreamFrame(stream.id, errorCode));
  }

  #open(stream: ClientStream): void {
    if (this.#nextStreamId > MAX_STREAM_ID) {
      this.#finish(stream, ErrorCode.REFUSED_STREAM, true);
      return;
    }
    stream.id = this.#nextStreamId;
    this.#nextStreamId += 2;
    if (this.#nextStreamId > MAX_STREAM_ID) this.#becomeUnusable();
    stream.sendWindow = this.#peerInitialWindow;
    this.#streams.set(stream.id, stream);
    this.#queueHeaders(stream.id, stream.headerBlock as Buffer);
    stream.headerBlock = undefined;
    this.#sendBody(stream);
  }

  #queueHeaders(streamId: number, block: Buffer): void {
    let offset = 0;
    let type: number = FrameType.HEADERS;
    do {
      const end = Math.min(block.length, offset + this.#peerMaxFrame);
      this.#queue(frame(type, end === block.length ? END_HEADERS : 0, streamId, block.subarray(offset, end)));
      type = FrameType.CONTINUATION;
      offset = end;
    } while (offset < block.length);
  }

  /** Sends as much of the stream's body as the windows allow, ending the stream with its last byte. */
  #sendBody(stream: ClientStream): void {
    let body = stream.pending as Buffer;
    for (;;) {
      const size = Math.min(body.length, stream.sendWindow, this.#connectionSendWindow, this.#peerMaxFrame);
      if (size === 0 && body.length > 0) break;
      const last = size === body.length;
      this.#queue(frame(FrameType.DATA, last ? END_STREAM : 0, stream.id, body.subarray(0, size)));
      stream.sendWindow -= size;
      this.#connectionSendWindow -= size;
      body = body.subarray(size);
      if (last) {
        stream.pending = undefined;
        this.#blocked.delete(stream);
        return;
      }
    }
    stream.pending = body;
    this.#blocked.add(stream);
  }

  #resumeBlocked(): void {
    for (const stream of this.#blocked) {
      if (this.#connectionSendWindow <= 0) return;
      if (stream.sendWindow > 0) this.#sendBody(stream);
    }
  }

  /** The stream is over: it leaves the session and its listener hears so. */
  #finish(stream: ClientStream, errorCode: number, lost: boolean): void {
    if (stream.id !== 0) this.#forget(stream);
    const wasClosed = stream.closed;
    stream.closed = true;
    if (!wasClosed) stream.listener.onClose(errorCode, lost);
  }

  #forget(stream: ClientStream): void {
    if (this.#streams.get(stream.id) !== stream) return;
    this.#streams.delete(stream.id);
    this.#blocked.delete(stream);
    while (this.#waiting.length > 0 && this.#streams.size < this.#peerMaxConcurrent && !this.#destroyed) {
      this.#open(this.#waiting.shift() as ClientStream);
    }
    if (this.#goingAway && this.#streams.size === 0 && this.#waiting.length === 0) this.#endSoon();
  }

  #becomeUnusable(): void {
    if (this.#goingAway) return;
    this.#goingAway = true;
    this.#options.onUnusable?.();
  }

  /** Closes the connection once what is queued has been written. */
  #endSoon(): void {
    setImmediate(() => {
      if (this.#destroyed || this.#streams.size > 0) return;
      this.#flush();
      this.#socket.end();
    });
  }

  // --- writing ---

  #queue(bytes: Buffer): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // All frames of this event-loop turn (every call the turn made) go in one write.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#out.length === 0 || this.#destroyed) return;
    const out = this.#out;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (out.length === 1 || bytes <= CONCAT_LIMIT) {
      this.#socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, bytes));
      return;
    }
    this.#socket.cork();
    for (const part of out) this.#socket.write(part);
    this.#socket.uncork();
  }

  // --- reading ---

  #receive(chunk: Buffer): void {
    let buffer = this.#received === undefined ? chunk : Buffer.concat([this.#received, chunk]);
    this.#received = undefined;
    while (buffer.length >= FRAME_HEADER_BYTES && !this.#destroyed) {
      const length = buffer.readUIntBE(0, 3);
      if (length > MAX_FRAME_SIZE) {
        this.#connectionError(ErrorCode.FRAME_SIZE_ERROR);
        return;
      }
      const end = FRAME_HEADER_BYTES + length;
      if (buffer.length < end) break;
      const type = buffer[3] as number;
      const flags = buffer[4] as number;
      const streamId = buffer.readUInt32BE(5) & MAX_STREAM_ID;
      const payload = buffer.subarray(FRAME_HEADER_BYTES, end);
      buffer = buffer.subarray(end);
      const error = this.#handleFrame(type, flags, streamId, payload);
      if (error !== undefined) {
        this.#connectionError(error);
        return;
      }
    }
    if (buffer.length > 0 && !this.#destroyed) this.#received = buffer;
  }

  /** Handles one frame; returns the code of a connection error, if it is one. */
  #handleFrame(type: number, flags: number, streamId: number, payload: Buffer): number | undefined {
    if (!this.#settingsSeen && type !== FrameType.SETTINGS) return ErrorCode.PROTOCOL_ERROR;
    if (this.#headerBlock !== undefined && type !== FrameType.CONTINUATION) return ErrorCode.PROTOCOL_ERROR;
    switch (type) {
      case FrameType.DATA:
        return this.#onData(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.#onHeaders(flags, streamId, payload);
      case FrameType.CONTINUATION:
        return this.#onContinuation(flags, streamId, payload);
      case FrameType.PRIORITY:
        return streamId === 0 || payload.length !== 5 ? ErrorCode.PROTOCOL_ERROR : undefined;
      case FrameType.RST_STREAM:
        return this.#onRstStream(streamId, payload);
      case FrameType.SETTINGS:
        return this.#onSettings(flags, streamId, payload);
      case FrameType.PUSH_PROMISE:
        // Push is disabled in our SETTINGS.
        return ErrorCode.PROTOCOL_ERROR;
      case FrameType.PING:
        return this.#onPing(flags, streamId, payload);
      case FrameType.GOAWAY:
        return this.#onGoaway(streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(streamId, payload);
      default:
        // Unknown frame types are ignored (RFC 9113, 4.1).
        return undefined;
    }
  }

  /** A stream id the peer may use in a frame: one we opened (ids we never used are an error). */
  #isIdle(streamId: number): boolean {
    return streamId >= this.#nextStreamId || streamId % 2 === 0;
  }

  /** The payload without its padding, or undefined if the padding is malformed. */
  #unpad(flags: number, payload: Buffer, skip = 0): Buffer | undefined {
    if ((flags & PADDED) === 0)
      return skip === 0 ? payload : payload.length < skip ? undefined : payload.subarray(skip);
    if (payload.length < 1) return undefined;
    const padding = payload[0] as number;
    if (1 + skip + padding > payload.length) return undefined;
    return payload.subarray(1 + skip, payload.length - padding);
  }

  #onData(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId === 0 || this.#isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    // Flow control counts the whole payload, padding included, whatever the stream's state.
    this.#connectionRecvAvailable -= payload.length;
    if (this.#connectionRecvAvailable < 0) return ErrorCode.FLOW_CONTROL_ERROR;
    this.#connectionRecvConsumed += payload.length;
    if (this.#connectionRecvConsumed >= CONNECTION_WINDOW / 2) {
      this.#queue(windowUpdateFrame(0, this.#connectionRecvConsumed));
      this.#connectionRecvAvailable += this.#connectionRecvConsumed;
      this.#connectionRecvConsumed = 0;
    }
    const data = this.#unpad(flags, payload);
    if (data === undefined) return ErrorCode.PROTOCOL_ERROR;
    const stream = this.#streams.get(streamId);
    // A stream we cancelled may still receive what was already on its way.
    if (stream === undefined) return undefined;
    stream.recvAvailable -= payload.length;
    if (stream.recvAvailable < 0) {
      this.#resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      return undefined;
    }
    if (stream.headerBlocks === 0) {
      this.#resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      return undefined;
    }
    if (data.length > 0) stream.listener.onData(data);
    if (stream.closed) return undefined;
    if (flags & END_STREAM) {
      this.#endOfResponse(stream);
      return undefined;
    }
    stream.recvConsumed += payload.length;
    if (stream.recvConsumed >= STREAM_WINDOW / 2) {
      this.#queue(windowUpdateFrame(stream.id, stream.recvConsumed));
      stream.recvAvailable += stream.recvConsumed;
      stream.recvConsumed = 0;
    }
    return undefined;
  }

  #onHeaders(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId === 0 || this.#isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    const fragment = this.#unpad(flags, payload, flags & PRIORITY ? 5 : 0);
    if (fragment === undefined) return ErrorCode.PROTOCOL_ERROR;
    this.#headerBlock = {
      streamId,
      endStream: (flags & END_STREAM) !== 0,
      parts: [fragment],
      size: fragment.length,
    };
    return flags & END_HEADERS ? this.#endOfHeaderBlock() : undefined;
  }

  #onContinuation(flags: number, streamId: number, payload: Buffer): number | undefined {
    const block = this.#headerBlock;
    if (block === undefined || block.streamId !== streamId) return ErrorCode.PROTOCOL_ERROR;
    block.parts.push(payload);
    block.size += payload.length;
    if (block.size > MAX_HEADER_BLOCK_BYTES) return ErrorCode.ENHANCE_YOUR_CALM;
    return flags & END_HEADERS ? this.#endOfHeaderBlock() : undefined;
  }

  #endOfHeaderBlock(): number | undefined {
    const { streamId, endStream, parts, size } = this.#headerBlock as HeaderBlock;
    this.#headerBlock = undefined;
    let fields: HeaderFields;
    try {
      // Decoded even when the stream is gone: the peer's table changed all the same.
      fields = this.#decoder.decode(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size));
    } catch (error) {
      if (error instanceof HpackError) return ErrorCode.COMPRESSION_ERROR;
      throw error;
    }
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    stream.headerBlocks++;
    // Headers, then trailers: a third block, or trailers that do not end the stream, break gRPC's framing.
    if (stream.headerBlocks > 2 || (stream.headerBlocks === 2 && !endStream)) {
      this.#resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      return undefined;
    }
    stream.listener.onHeaders(fields, endStream);
    if (endStream && !stream.closed) this.#endOfResponse(stream);
    return undefined;
  }

  /** The peer ended its side: the stream is done (a request body still held back is dropped). */
  #endOfResponse(stream: ClientStream): void {
    if (stream.pending !== undefined) this.#queue(rstStreamFrame(stream.id, ErrorCode.NO_ERROR));
    this.#finish(stream, ErrorCode.NO_ERROR, false);
  }

  /** Resets one stream for a fault of the peer's, which its listener hears as the error code. */
  #resetStream(stream: ClientStream, errorCode: number): void {
    this.#queue(rstStreamFrame(stream.id, errorCode));
    this.#finish(stream, errorCode, false);
  }

  #onRstStream(streamId: number, payload: Buffer): number | undefined {
    if (streamId === 0 || this.#isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    if (payload.length !== 4) return ErrorCode.FRAME_SIZE_ERROR;
    const stream = this.#streams.get(streamId);
    if (stream !== undefined) {
      const errorCode = payload.readUInt32BE(0);
      // A refused stream was never processed: it may be tried again elsewhere.
      this.#finish(stream, errorCode, errorCode === ErrorCode.REFUSED_STREAM);
    }
    return undefined;
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId !== 0) return ErrorCode.PROTOCOL_ERROR;
    if (flags & ACK) return payload.length === 0 ? undefined : ErrorCode.FRAME_SIZE_ERROR;
    if (payload.length % 6 !== 0) return ErrorCode.FRAME_SIZE_ERROR;
    this.#settingsSeen = true;
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      switch (id) {
        case Setting.MAX_CONCURRENT_STREAMS:
          this.#peerMaxConcurrent = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) return ErrorCode.FLOW_CONTROL_ERROR;
          const change = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const stream of this.#streams.values()) stream.sendWindow += change;
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < MAX_FRAME_SIZE || value > 2 ** 24 - 1) return ErrorCode.PROTOCOL_ERROR;
          this.#peerMaxFrame = value;
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) return ErrorCode.PROTOCOL_ERROR;
          break;
        // HEADER_TABLE_SIZE limits the table of our encoder, which uses none; the others are advisory.
      }
    }
    this.#queue(frame(FrameType.SETTINGS, ACK, 0, Buffer.alloc(0)));
    this.#resumeBlocked();
    while (this.#waiting.length > 0 && this.#streams.size < this.#peerMaxConcurrent) {
      this.#open(this.#waiting.shift() as ClientStream);
    }
    return undefined;
  }

  #onPing(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId !== 0) return ErrorCode.PROTOCOL_ERROR;
    if (payload.length !== 8) return ErrorCode.FRAME_SIZE_ERROR;
    if (flags & ACK) this.#pings.shift()?.(null);
    else this.#queue(frame(FrameType.PING, ACK, 0, payload));
    return undefined;
  }

  #onGoaway(streamId: number, payload: Buffer): number | undefined {
    if (streamId !== 0) return ErrorCode.PROTOCOL_ERROR;
    if (payload.length < 8) return ErrorCode.FRAME_SIZE_ERROR;
    const lastStreamId = payload.readUInt32BE(0) & MAX_STREAM_ID;
    this.#becomeUnusable();
    // Streams the server will not process, and requests not yet sent, may be tried again elsewhere.
    for (const stream of [...this.#streams.values()]) {
      if (stream.id > lastStreamId) this.#finish(stream, ErrorCode.REFUSED_STREAM, true);
    }
    for (const stream of this.#waiting.splice(0)) this.#finish(stream, ErrorCode.REFUSED_STREAM, true);
    if (this.#streams.size === 0) this.#endSoon();
    return undefined;
  }

  #onWindowUpdate(streamId: number, payload: Buffer): number | undefined {
    if (payload.length !== 4) return ErrorCode.FRAME_SIZE_ERROR;
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId === 0) {
      if (increment === 0) return ErrorCode.PROTOCOL_ERROR;
      this.#connectionSendWindow += increment;
      if (this.#connectionSendWindow > MAX_WINDOW) return ErrorCode.FLOW_CONTROL_ERROR;
      this.#resumeBlocked();
      return undefined;
    }
    if (this.#isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    if (increment === 0) {
      this.#resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      return undefined;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.#resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      return undefined;
    }
    if (stream.pending !== undefined && this.#connectionSendWindow > 0) this.#sendBody(stream);
    return undefined;
  }

  /** Tells the peer why, then closes: every stream in flight is lost. */
  #connectionError(errorCode: number): void {
    if (this.#destroyed) return;
    const lastPushId = Buffer.alloc(8);
    lastPushId.writeUInt32BE(errorCode, 4);
    this.#out.push(frame(FrameType.GOAWAY, 0, 0, lastPushId));
    this.#flush();
    this.destroy();
  }
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  bytes.writeUIntBE(payload.length, 0, 3);
  bytes[3] = type;
  bytes[4] = flags;
  bytes.writeUInt32BE(streamId, 5);
  payload.copy(bytes, FRAME_HEADER_BYTES);
  return bytes;
}

function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], index) => {
    payload.writeUInt16BE(id, index * 6);
    payload.writeUInt32BE(value, index * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(errorCode, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, payload);
}
