/**
 * What both ends of our HTTP/2 connections share (RFC 9113): reading and
 * writing frames on a socket, SETTINGS, flow control both ways, PING,
 * WINDOW_UPDATE, header blocks over HEADERS and CONTINUATION decoded with
 * HPACK, and connection errors. The client session (http2-client-session.ts)
 * and the server connection (http2-server-connection.ts) add what differs:
 * who opens streams, and what a header block or a reset means to them.
 *
 * Why our own HTTP/2 rather than node:http2: node:http2 makes a Duplex stream
 * and its events for every call and crosses into nghttp2 several times per
 * call. Measured with 32 calls in flight on loopback, that cost ~35 µs of CPU
 * per call on each side, against ~8 µs for a bare length-prefixed exchange on
 * a socket, and every skyros request makes one to three internal calls. Here
 * a stream is a small object and a map entry, and the frames of all calls of
 * one event-loop turn go out in one write. It is written for gRPC: no server
 * push, no priorities, and header blocks are written as HPACK literals.
 */
import type * as net from "node:net";
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

export const FrameType = {
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

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME_HEADER_BYTES = 9;
export const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
export const MAX_STREAM_ID = 2 ** 31 - 1;
/** The frame size we accept, the protocol's default (we do not raise it). */
const MAX_FRAME_SIZE = 16_384;
/** How much each stream, and the connection, may have in flight towards us. */
export const STREAM_WINDOW = 1024 * 1024;
export const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** The largest header block (all its frames together) accepted before decoding. */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;
/** Bytes written but not yet taken by the kernel past which the peer is cut off. */
const MAX_WRITE_BACKLOG = 64 * 1024 * 1024;
/** How long a peer told of a connection error has to close its side. */
const PEER_CLOSE_GRACE_MS = 1000;
/** Frames are written together when their total stays under this; larger ones go as a writev. */
const CONCAT_LIMIT = 64 * 1024;

/** A header block spread over HEADERS and CONTINUATION frames. */
interface HeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly parts: Buffer[];
  size: number;
}

/** What each end keeps of one stream. */
export class StreamState {
  /** 0 until the stream is opened. */
  id = 0;
  sendWindow = 0;
  recvAvailable = STREAM_WINDOW;
  recvConsumed = 0;
  /** DATA not sent yet, in order: flow control may hold it back. */
  outgoing: Buffer[] = [];
  /** How the stream ends once `outgoing` is sent: END_STREAM on DATA, or a trailers block. */
  ending: Buffer | true | undefined;
  /** We sent END_STREAM. */
  localEnded = false;
  /** The peer sent END_STREAM. */
  remoteEnded = false;
  /** Header blocks received. */
  headerBlocks = 0;
  closed = false;
}

/** One HTTP/2 connection; subclasses say what streams are and how they end. */
export abstract class Http2Connection<S extends StreamState> {
  protected readonly socket: net.Socket;
  protected readonly streams = new Map<number, S>();
  protected peerInitialWindow = DEFAULT_WINDOW;
  protected peerMaxFrame = MAX_FRAME_SIZE;
  /** Set once the connection failed or closed: nothing more is read or written. */
  protected destroyedFlag = false;
  /** The peer's first frame must be SETTINGS. */
  protected settingsSeen = false;
  readonly #decoder = new HpackDecoder(4096, MAX_HEADER_BLOCK_BYTES);
  readonly #pings: ((error: Error | null) => void)[] = [];
  /** Streams with DATA held back by flow control. */
  readonly #blocked = new Set<S>();
  #connectionSendWindow = DEFAULT_WINDOW;
  #connectionRecvAvailable = CONNECTION_WINDOW;
  #connectionRecvConsumed = 0;
  #received: Buffer | undefined;
  #headerBlock: HeaderBlock | undefined;
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  /** The peer lowered its HPACK table size: our next header block must say we keep none. */
  #tableSizeUpdate = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      try {
        this.receive(chunk);
      } catch (error) {
        this.#failInternally(error);
      }
    });
    socket.on("error", () => this.destroy());
    socket.on("close", () => this.destroy());
  }

  get destroyed(): boolean {
    return this.destroyedFlag;
  }

  /** Our SETTINGS, and the connection window raised to CONNECTION_WINDOW. */
  protected queueSettings(settings: readonly (readonly [number, number])[]): void {
    this.queue(
      settingsFrame([
        ...settings,
        [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
        [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_BLOCK_BYTES],
      ]),
    );
    this.queue(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
  }

  /** Sends a PING; `callback` hears its ACK, or an error if the connection ends first. */
  ping(callback: (error: Error | null) => void): void {
    if (this.destroyedFlag) {
      callback(new Error("connection closed"));
      return;
    }
    this.#pings.push(callback);
    this.queue(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
  }

  /** Closes the connection at once. */
  destroy(): void {
    if (this.destroyedFlag) return;
    this.socket.destroy();
    this.#teardown();
  }

  /** Everything on the connection is over: streams and pings hear so. */
  #teardown(): void {
    this.destroyedFlag = true;
    this.#out = [];
    this.#blocked.clear();
    for (const callback of this.#pings.splice(0)) callback(new Error("connection closed"));
    this.closed();
  }

  /**
   * A fault of ours while handling what the peer sent (a bug, or a listener that
   * threw): it costs this connection, which ends with INTERNAL_ERROR, and not the
   * process, which an exception thrown from a socket's data event would end.
   */
  #failInternally(error: unknown): void {
    try {
      this.onInternalError(error);
    } finally {
      try {
        this.connectionError(ErrorCode.INTERNAL_ERROR);
      } catch {
        this.socket.destroy();
        if (!this.destroyedFlag) this.#teardown();
      }
    }
  }

  // --- what subclasses define ---

  /** Told of a fault of ours that ended the connection (see #failInternally). */
  protected abstract onInternalError(error: unknown): void;

  /** The connection is gone: every stream still open must hear so. */
  protected abstract closed(): void;
  /** A complete header block for `streamId` (which may be a stream this end no longer knows). */
  protected abstract onHeaderBlock(
    streamId: number,
    fields: HeaderFields,
    endStream: boolean,
  ): number | undefined;
  /** DATA for an open stream, flow control already counted. */
  protected abstract onStreamData(stream: S, data: Buffer, endStream: boolean): void;
  /** The peer reset the stream. */
  protected abstract onStreamReset(stream: S, errorCode: number): void;
  /** The peer sent GOAWAY. */
  protected abstract onGoaway(lastStreamId: number, errorCode: number): void;
  /** A setting of the peer's that only one end cares about. */
  protected onSetting(_id: number, _value: number): number | undefined {
    return undefined;
  }
  /** Whether the peer may use `streamId` in a frame at all (idle streams are an error). */
  protected abstract isIdle(streamId: number): boolean;
  /** We sent END_STREAM on the stream. */
  protected abstract onLocalEnd(stream: S): void;
  /** All DATA queued on the stream is sent. */
  protected onDrained(_stream: S): void {}

  // --- writing ---

  protected queue(bytes: Buffer): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // All frames of this event-loop turn (every call the turn made) go in one write.
      setImmediate(() => this.flush());
    }
  }

  protected flush(): void {
    this.#flushScheduled = false;
    if (this.#out.length === 0 || this.destroyedFlag) return;
    const out = this.#out;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (out.length === 1 || bytes <= CONCAT_LIMIT) {
      this.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, bytes));
    } else {
      this.socket.cork();
      for (const part of out) this.socket.write(part);
      this.socket.uncork();
    }
    // A peer that stops reading while it makes us answer (pings, settings, resets) would
    // grow this backlog without end; flow control bounds only DATA.
    if (this.socket.writableLength > MAX_WRITE_BACKLOG) this.destroy();
  }

  /** A header block as HEADERS and, past the peer's frame size, CONTINUATION frames. */
  protected queueHeaders(streamId: number, headerBlock: Buffer, endStream: boolean): void {
    let block = headerBlock;
    if (this.#tableSizeUpdate) {
      // A dynamic table size update to 0: we never index, so any limit is met.
      block = Buffer.concat([Buffer.of(0x20), block]);
      this.#tableSizeUpdate = false;
    }
    let offset = 0;
    let type: number = FrameType.HEADERS;
    let flags = endStream ? END_STREAM : 0;
    do {
      const end = Math.min(block.length, offset + this.peerMaxFrame);
      const last = end === block.length;
      this.queue(frame(type, flags | (last ? END_HEADERS : 0), streamId, block.subarray(offset, end)));
      type = FrameType.CONTINUATION;
      flags = 0;
      offset = end;
    } while (offset < block.length);
  }

  /**
   * Queues `data` on the stream, then its end if `ending` is given: END_STREAM on the last
   * DATA (true) or a trailers block. Returns whether it all went out (false: flow control holds some).
   */
  protected sendData(stream: S, data: Buffer | undefined, ending?: Buffer | true): boolean {
    if (data !== undefined && data.length > 0) stream.outgoing.push(data);
    if (ending !== undefined) stream.ending = ending;
    return this.#pump(stream);
  }

  #pump(stream: S): boolean {
    const outgoing = stream.outgoing;
    while (outgoing.length > 0) {
      const chunk = outgoing[0] as Buffer;
      const size = Math.min(chunk.length, stream.sendWindow, this.#connectionSendWindow, this.peerMaxFrame);
      if (size === 0) {
        this.#blocked.add(stream);
        return false;
      }
      const whole = size === chunk.length;
      const endsHere = whole && outgoing.length === 1 && stream.ending === true;
      this.queue(frame(FrameType.DATA, endsHere ? END_STREAM : 0, stream.id, chunk.subarray(0, size)));
      stream.sendWindow -= size;
      this.#connectionSendWindow -= size;
      if (whole) outgoing.shift();
      else outgoing[0] = chunk.subarray(size);
      if (endsHere) stream.ending = undefined;
      if (endsHere) return this.#ended(stream);
    }
    this.#blocked.delete(stream);
    const ending = stream.ending;
    if (ending === undefined) {
      this.onDrained(stream);
      return true;
    }
    stream.ending = undefined;
    if (ending === true) this.queue(frame(FrameType.DATA, END_STREAM, stream.id, Buffer.alloc(0)));
    else this.queueHeaders(stream.id, ending, true);
    return this.#ended(stream);
  }

  #ended(stream: S): true {
    this.#blocked.delete(stream);
    stream.localEnded = true;
    this.onLocalEnd(stream);
    return true;
  }

  #resumeBlocked(): void {
    for (const stream of this.#blocked) {
      if (this.#connectionSendWindow <= 0) return;
      if (stream.sendWindow > 0) this.#pump(stream);
    }
  }

  /** Removes the stream; what it still had to send is dropped. */
  protected removeStream(stream: S): void {
    stream.closed = true;
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.#blocked.delete(stream);
    stream.outgoing.length = 0;
    stream.ending = undefined;
  }

  protected resetStream(stream: S, errorCode: number): void {
    this.queue(rstStreamFrame(stream.id, errorCode));
    this.removeStream(stream);
  }

  /** Tells the peer why, then closes: nothing more is read or answered. */
  protected connectionError(errorCode: number, lastStreamId = 0): void {
    if (this.destroyedFlag) return;
    this.#out.push(goawayFrame(lastStreamId, errorCode));
    // Ended rather than destroyed, so that the GOAWAY gets out; a peer that keeps the
    // connection open past that is cut off.
    this.socket.end(Buffer.concat(this.#out));
    setTimeout(() => this.socket.destroy(), PEER_CLOSE_GRACE_MS).unref();
    this.#teardown();
  }

  // --- reading ---

  protected receive(chunk: Buffer): void {
    let buffer = this.#received === undefined ? chunk : Buffer.concat([this.#received, chunk]);
    this.#received = undefined;
    while (buffer.length >= FRAME_HEADER_BYTES && !this.destroyedFlag) {
      const length = buffer.readUIntBE(0, 3);
      if (length > MAX_FRAME_SIZE) {
        this.connectionError(ErrorCode.FRAME_SIZE_ERROR);
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
        this.connectionError(error);
        return;
      }
    }
    if (buffer.length > 0 && !this.destroyedFlag) this.#received = buffer;
  }

  /** Handles one frame; returns the code of a connection error, if it is one. */
  #handleFrame(type: number, flags: number, streamId: number, payload: Buffer): number | undefined {
    if (!this.settingsSeen && type !== FrameType.SETTINGS) return ErrorCode.PROTOCOL_ERROR;
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
        // Neither end accepts pushes: our client disables them, and clients cannot push.
        return ErrorCode.PROTOCOL_ERROR;
      case FrameType.PING:
        return this.#onPing(flags, streamId, payload);
      case FrameType.GOAWAY:
        if (streamId !== 0) return ErrorCode.PROTOCOL_ERROR;
        if (payload.length < 8) return ErrorCode.FRAME_SIZE_ERROR;
        this.onGoaway(payload.readUInt32BE(0) & MAX_STREAM_ID, payload.readUInt32BE(4));
        return undefined;
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(streamId, payload);
      default:
        // Unknown frame types are ignored (RFC 9113, 4.1).
        return undefined;
    }
  }

  /** The payload without its padding (and `skip` more bytes), or undefined if the padding is malformed. */
  #unpad(flags: number, payload: Buffer, skip = 0): Buffer | undefined {
    if ((flags & PADDED) === 0) return payload.length < skip ? undefined : payload.subarray(skip);
    if (payload.length < 1) return undefined;
    const padding = payload[0] as number;
    if (1 + skip + padding > payload.length) return undefined;
    return payload.subarray(1 + skip, payload.length - padding);
  }

  #onData(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId === 0 || this.isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    // Flow control counts the whole payload, padding included, whatever the stream's state.
    this.#connectionRecvAvailable -= payload.length;
    if (this.#connectionRecvAvailable < 0) return ErrorCode.FLOW_CONTROL_ERROR;
    this.#connectionRecvConsumed += payload.length;
    if (this.#connectionRecvConsumed >= CONNECTION_WINDOW / 2) {
      this.queue(windowUpdateFrame(0, this.#connectionRecvConsumed));
      this.#connectionRecvAvailable += this.#connectionRecvConsumed;
      this.#connectionRecvConsumed = 0;
    }
    const data = this.#unpad(flags, payload);
    if (data === undefined) return ErrorCode.PROTOCOL_ERROR;
    const stream = this.streams.get(streamId);
    // A stream already closed may still receive what was on its way.
    if (stream === undefined || stream.remoteEnded) return undefined;
    stream.recvAvailable -= payload.length;
    if (stream.recvAvailable < 0 || stream.headerBlocks === 0) {
      this.#streamFault(
        stream,
        stream.headerBlocks === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR,
      );
      return undefined;
    }
    const endStream = (flags & END_STREAM) !== 0;
    if (endStream) stream.remoteEnded = true;
    else {
      stream.recvConsumed += payload.length;
      if (stream.recvConsumed >= STREAM_WINDOW / 2) {
        this.queue(windowUpdateFrame(stream.id, stream.recvConsumed));
        stream.recvAvailable += stream.recvConsumed;
        stream.recvConsumed = 0;
      }
    }
    this.onStreamData(stream, data, endStream);
    return undefined;
  }

  /** The peer broke the rules on one stream: it is reset, and its owner hears of it as a reset. */
  #streamFault(stream: S, errorCode: number): void {
    this.resetStream(stream, errorCode);
    this.onStreamReset(stream, errorCode);
  }

  #onHeaders(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId === 0) return ErrorCode.PROTOCOL_ERROR;
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
    return this.onHeaderBlock(streamId, fields, endStream);
  }

  #onRstStream(streamId: number, payload: Buffer): number | undefined {
    if (streamId === 0 || this.isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    if (payload.length !== 4) return ErrorCode.FRAME_SIZE_ERROR;
    const stream = this.streams.get(streamId);
    if (stream !== undefined) {
      this.removeStream(stream);
      this.onStreamReset(stream, payload.readUInt32BE(0));
    }
    return undefined;
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId !== 0) return ErrorCode.PROTOCOL_ERROR;
    if (flags & ACK) return payload.length === 0 ? undefined : ErrorCode.FRAME_SIZE_ERROR;
    if (payload.length % 6 !== 0) return ErrorCode.FRAME_SIZE_ERROR;
    this.settingsSeen = true;
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      let error: number | undefined;
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) return ErrorCode.FLOW_CONTROL_ERROR;
        const change = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) stream.sendWindow += change;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < MAX_FRAME_SIZE || value > 2 ** 24 - 1) return ErrorCode.PROTOCOL_ERROR;
        this.peerMaxFrame = value;
      } else if (id === Setting.ENABLE_PUSH) {
        if (value > 1) return ErrorCode.PROTOCOL_ERROR;
      } else if (id === Setting.HEADER_TABLE_SIZE) {
        if (value < 4096) this.#tableSizeUpdate = true;
      } else {
        error = this.onSetting(id, value);
      }
      if (error !== undefined) return error;
    }
    this.queue(frame(FrameType.SETTINGS, ACK, 0, Buffer.alloc(0)));
    this.#resumeBlocked();
    return undefined;
  }

  #onPing(flags: number, streamId: number, payload: Buffer): number | undefined {
    if (streamId !== 0) return ErrorCode.PROTOCOL_ERROR;
    if (payload.length !== 8) return ErrorCode.FRAME_SIZE_ERROR;
    if (flags & ACK) this.#pings.shift()?.(null);
    else this.queue(frame(FrameType.PING, ACK, 0, payload));
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
    if (this.isIdle(streamId)) return ErrorCode.PROTOCOL_ERROR;
    const stream = this.streams.get(streamId);
    if (stream === undefined) return undefined;
    if (increment === 0) {
      this.#streamFault(stream, ErrorCode.PROTOCOL_ERROR);
      return undefined;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.#streamFault(stream, ErrorCode.FLOW_CONTROL_ERROR);
      return undefined;
    }
    if (stream.outgoing.length > 0 && this.#connectionSendWindow > 0) this.#pump(stream);
    return undefined;
  }
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
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

export function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(errorCode, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, payload);
}

export function goawayFrame(lastStreamId: number, errorCode: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(errorCode, 4);
  return frame(FrameType.GOAWAY, 0, 0, payload);
}
