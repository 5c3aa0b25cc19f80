/**
 * Decoding of HPACK's Huffman-coded strings (RFC 7541, section 5.2 and
 * appendix B), for the HTTP/2 client. HTTP/2 peers Huffman-code a header
 * string whenever that is shorter, so a client must read them; it never has
 * to write them, so there is no encoder.
 *
 * The code of appendix B is canonical: within one length, codes rise with the
 * symbol, and each length's codes follow on from the shorter ones. So the code
 * lengths below define it entirely, and decoding needs only, per length, the
 * first code and where its symbols start in the symbols sorted by code.
 */

/** The code length, in bits, of each symbol 0-255 and of EOS (256), from RFC 7541 appendix B. */
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28,
  28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7,
  8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19,
  13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13,
  28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21,
  22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23,
  22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25,
  25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];

const EOS = 256;
const MAX_LENGTH = 30;

/** The canonical code's tables: per length, its first code, its count, and where its symbols start. */
const firstCode = new Int32Array(MAX_LENGTH + 1);
const countOf = new Int32Array(MAX_LENGTH + 1);
const startOf = new Int32Array(MAX_LENGTH + 1);
/** Symbols in code order (by length, then by symbol). */
const symbolsByCode = new Uint16Array(CODE_LENGTHS.length);
/** Each symbol's code, right-aligned, for tests and for building the tables. */
export const HUFFMAN_CODES = new Uint32Array(CODE_LENGTHS.length);
export const HUFFMAN_LENGTHS: readonly number[] = CODE_LENGTHS;

{
  for (const length of CODE_LENGTHS) countOf[length] = (countOf[length] ?? 0) + 1;
  let code = 0;
  let start = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    firstCode[length] = code;
    startOf[length] = start;
    const count = countOf[length] ?? 0;
    code = (code + count) << 1;
    start += count;
  }
  const next = Int32Array.from(startOf);
  for (let symbol = 0; symbol < CODE_LENGTHS.length; symbol++) {
    const length = CODE_LENGTHS[symbol] as number;
    const index = next[length]++;
    symbolsByCode[index] = symbol;
    HUFFMAN_CODES[symbol] = (firstCode[length] as number) + index - (startOf[length] as number);
  }
}

/** Thrown for a string no HPACK encoder could have produced (a COMPRESSION_ERROR). */
export class HuffmanError extends Error {}

/** Decodes `bytes[start, end)` as a Huffman-coded string, byte for byte as latin1. */
export function decodeHuffman(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  let code = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      length++;
      const offset = code - (firstCode[length] as number);
      if (offset < (countOf[length] as number)) {
        const symbol = symbolsByCode[(startOf[length] as number) + offset] as number;
        if (symbol === EOS) throw new HuffmanError("Huffman string contains EOS");
        out += String.fromCharCode(symbol);
        code = 0;
        length = 0;
      } else if (length === MAX_LENGTH) {
        throw new HuffmanError("invalid Huffman code");
      }
    }
  }
  // What is left must be padding: fewer than 8 bits, all ones (a prefix of EOS).
  if (length > 7 || code !== (1 << length) - 1) throw new HuffmanError("invalid Huffman padding");
  return out;
}
