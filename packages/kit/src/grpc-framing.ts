/**
 * gRPC message framing, shared by our server and client: every message on the
 * wire is a 5-byte prefix (a compressed flag, then the length as a big-endian
 * uint32) followed by the message bytes. HTTP/2 may split a frame across DATA
 * chunks or pack several into one, so the reader buffers across chunks.
 */
import { Code, ConnectError } from "@connectrpc/connect";

const PREFIX_BYTES = 5;

/** One message as read off the wire, still compressed when `compressed` is set. */
export interface Frame {
  readonly compressed: boolean;
  readonly data: Uint8Array;
}

/** `bytes` in a gRPC frame, in one buffer so that it goes out as one write. */
export function encodeFrame(bytes: Uint8Array, compressed = false): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + bytes.byteLength);
  frame[0] = compressed ? 1 : 0;
  frame.writeUInt32BE(bytes.byteLength, 1);
  frame.set(bytes, PREFIX_BYTES);
  return frame;
}

/**
 * Reads frames from a stream of chunks. A frame whose prefix announces more
 * than `maxMessageBytes` is refused with ResourceExhausted as soon as the
 * prefix arrives, before its body is buffered.
 */
export class FrameReader {
  readonly #maxMessageBytes: number;
  #pending: Buffer | undefined;

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** The complete frames that `chunk` finishes; throws ResourceExhausted on an oversize one. */
  push(chunk: Buffer): Frame[] {
    // The usual case, a whole message in one chunk, is read without copying.
    let buffer = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = undefined;
    const frames: Frame[] = [];
    while (buffer.byteLength >= PREFIX_BYTES) {
      const length = buffer.readUInt32BE(1);
      if (length > this.#maxMessageBytes) {
        throw new ConnectError(
          `message of ${length} bytes is larger than the limit of ${this.#maxMessageBytes}`,
          Code.ResourceExhausted,
        );
      }
      const end = PREFIX_BYTES + length;
      if (buffer.byteLength < end) break;
      frames.push({
        compressed: ((buffer[0] ?? 0) & 1) === 1,
        data: buffer.subarray(PREFIX_BYTES, end),
      });
      buffer = buffer.subarray(end);
    }
    if (buffer.byteLength > 0) this.#pending = buffer;
    return frames;
  }

  /** Whether a partial frame is waiting for more bytes (at end of stream: a truncated message). */
  get hasPartialFrame(): boolean {
    return this.#pending !== undefined;
  }
}
