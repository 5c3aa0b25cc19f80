/**
 * Raw HTTP/2 for tests that play a peer by hand: frames to send, frames read
 * back, and a request's header block.
 */
import { HpackLiteralWriter } from "../src/hpack.ts";
import { frame, PREFACE } from "../src/http2-connection.ts";

export { frame } from "../src/http2-connection.ts";

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** What a client sends first: the preface and an empty SETTINGS frame. */
export const CLIENT_START = Buffer.concat([PREFACE, frame(0x4, 0, 0, Buffer.alloc(0))]);

/** The whole frames at the start of `buffer`, and what is left of it. */
export function readFrames(buffer: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let rest = buffer;
  while (rest.length >= 9 && rest.length >= 9 + rest.readUIntBE(0, 3)) {
    const length = rest.readUIntBE(0, 3);
    frames.push({
      type: rest[3] as number,
      flags: rest[4] as number,
      stream: rest.readUInt32BE(5),
      payload: rest.subarray(9, 9 + length),
    });
    rest = rest.subarray(9 + length);
  }
  return { frames, rest };
}

/** The header block of a request to `path` on http://localhost. */
export function requestHeaderBlock(path: string, method: "GET" | "POST" = "POST"): Buffer {
  return new HpackLiteralWriter()
    .addIndexed(":method", method)
    .addIndexed(":scheme", "http")
    .add(":path", path, true)
    .add(":authority", "localhost", true)
    .toBuffer();
}
