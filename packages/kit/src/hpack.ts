/**
 * HPACK (RFC 7541), the header compression of HTTP/2, as much as our HTTP/2
 * client needs: a full decoder (static and dynamic tables, Huffman strings),
 * since a peer may use all of it, and an encoder that writes literals only
 * (never indexed, never Huffman-coded), which every decoder must accept and
 * which needs no state shared with the peer.
 */
import { decodeHuffman, HuffmanError } from "./hpack-huffman.ts";

/** Header fields as node:http2 gives them: a name's repeated values become an array. */
export type HeaderFields = Record<string, string | string[]>;

/** RFC 7541 appendix A: indices 1-61. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** What an entry costs in the dynamic table (RFC 7541, section 4.1). */
const ENTRY_OVERHEAD = 32;
/** Larger integers than any real header block holds are refused rather than overflowing. */
const MAX_INTEGER = 2 ** 28;

/** A header block that breaks HPACK's rules: a COMPRESSION_ERROR of the connection. */
export class HpackError extends Error {}

/** Decodes header blocks, keeping the dynamic table that the peer's encoder mirrors. */
export class HpackDecoder {
  /** Newest entry last; dynamic index 1 is the last element. */
  readonly #entries: [string, string][] = [];
  #size = 0;
  #maxSize: number;
  /** The largest table size we allowed the peer (SETTINGS_HEADER_TABLE_SIZE). */
  readonly #limit: number;
  /** The largest decoded header list accepted, as RFC 7540 counts it (name + value + 32 per field). */
  readonly #maxListSize: number;
  // Read position inside the block being decoded.
  #block: Buffer = Buffer.alloc(0);
  #at = 0;

  constructor(tableSizeLimit = 4096, maxListSize = 1024 * 1024) {
    this.#maxSize = tableSizeLimit;
    this.#limit = tableSizeLimit;
    this.#maxListSize = maxListSize;
  }

  /**
   * The fields of one complete header block. Every block must be decoded, even
   * one whose stream is gone, or the dynamic table drifts from the peer's.
   */
  decode(block: Buffer): HeaderFields {
    this.#block = block;
    this.#at = 0;
    const fields: HeaderFields = {};
    let listSize = 0;
    let fieldSeen = false;
    while (this.#at < block.length) {
      const first = block[this.#at] as number;
      let name: string;
      let value: string;
      if (first & 0x80) {
        [name, value] = this.#entry(this.#integer(7));
      } else if (first & 0x40) {
        [name, value] = this.#literal(6);
        this.#insert(name, value);
      } else if (first & 0x20) {
        if (fieldSeen) throw new HpackError("table size update after a header field");
        const size = this.#integer(5);
        if (size > this.#limit) throw new HpackError(`table size ${size} over the limit ${this.#limit}`);
        this.#maxSize = size;
        this.#evict(0);
        continue;
      } else {
        // Without indexing (0000) or never indexed (0001): the same to a decoder.
        [name, value] = this.#literal(4);
      }
      fieldSeen = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > this.#maxListSize) throw new HpackError("header list too large");
      const existing = fields[name];
      if (existing === undefined) fields[name] = value;
      else if (typeof existing === "string") fields[name] = [existing, value];
      else existing.push(value);
    }
    return fields;
  }

  #entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError("index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as [string, string];
    const entry = this.#entries[this.#entries.length - (index - STATIC_TABLE.length)];
    if (entry === undefined) throw new HpackError(`index ${index} is not in the table`);
    return entry;
  }

  #literal(prefixBits: number): [string, string] {
    const index = this.#integer(prefixBits);
    const name = index === 0 ? this.#string() : (this.#entry(index)[0] as string);
    return [name, this.#string()];
  }

  #insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evict(size);
    // An entry larger than the whole table empties it and is not added (RFC 7541, 4.4).
    if (size > this.#maxSize) return;
    this.#entries.push([name, value]);
    this.#size += size;
  }

  /** Drops the oldest entries until `room` more bytes fit. */
  #evict(room: number): void {
    while (this.#size + room > this.#maxSize && this.#entries.length > 0) {
      const [name, value] = this.#entries.shift() as [string, string];
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }

  #integer(prefixBits: number): number {
    const block = this.#block;
    const max = (1 << prefixBits) - 1;
    let value = (block[this.#at++] as number) & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.#at >= block.length) throw new HpackError("truncated integer");
      const byte = block[this.#at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) throw new HpackError("integer too large");
      if ((byte & 0x80) === 0) return value;
      shift += 7;
    }
  }

  #string(): string {
    const block = this.#block;
    if (this.#at >= block.length) throw new HpackError("truncated string");
    const huffman = ((block[this.#at] as number) & 0x80) !== 0;
    const length = this.#integer(7);
    const start = this.#at;
    const end = start + length;
    if (end > block.length) throw new HpackError("truncated string");
    this.#at = end;
    if (!huffman) return block.toString("latin1", start, end);
    try {
      return decodeHuffman(block, start, end);
    } catch (error) {
      if (error instanceof HuffmanError) throw new HpackError(error.message);
      throw error;
    }
  }
}

/** What a header name may hold in HTTP/2: lower-case token characters. */
const VALID_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** What no header value may hold (the Fetch standard's rule, as Headers applies it). */
const INVALID_VALUE = /[\0\r\n]/;
/** Connection-specific fields, which HTTP/2 forbids (RFC 9113, 8.2.2). */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** Writes a header block of HPACK literals without indexing. */
export class HpackLiteralWriter {
  readonly #parts: Buffer[] = [];

  /** Adds a field; `name` may be a pseudo-header only when `pseudo` is set. Throws TypeError on a bad field. */
  add(name: string, value: string, pseudo = false): this {
    if (!(pseudo && name.charCodeAt(0) === 58) && (!VALID_NAME.test(name) || CONNECTION_SPECIFIC.has(name))) {
      throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    }
    if (INVALID_VALUE.test(value)) throw new TypeError(`invalid value of header ${name}`);
    const nameBytes = Buffer.from(name, "latin1");
    const valueBytes = Buffer.from(value, "latin1");
    this.#parts.push(Buffer.of(0x00), integerBytes(nameBytes.length, 7, 0), nameBytes);
    this.#parts.push(integerBytes(valueBytes.length, 7, 0), valueBytes);
    return this;
  }

  /** Adds a field that is exactly an entry of the static table (e.g. :method POST), by its index. */
  addIndexed(name: string, value: string): this {
    const index = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (index < 0) throw new TypeError(`${name}: ${value} is not in the static table`);
    this.#parts.push(integerBytes(index + 1, 7, 0x80));
    return this;
  }

  /** The block written so far. */
  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** `value` as an HPACK integer with a `prefixBits` prefix, the byte's other bits set to `flags`. */
export function integerBytes(value: number, prefixBits: number, flags: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.of(flags | value);
  const bytes = [flags | max];
  let rest = value - max;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
