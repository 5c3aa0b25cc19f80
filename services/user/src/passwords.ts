/**
 * Password hashing with argon2id (OWASP's first choice), in PHC string format,
 * using the argon2 built into Node's crypto.
 */
import { argon2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const argon2Async = promisify(argon2);

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
export interface Argon2Params {
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
}

export const DEFAULT_ARGON2_PARAMS: Argon2Params = { memoryKiB: 19_456, passes: 2, parallelism: 1 };

async function derive(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer> {
  return argon2Async("argon2id", {
    message: password,
    nonce: salt,
    parallelism: params.parallelism,
    tagLength: 32,
    memory: params.memoryKiB,
    passes: params.passes,
  });
}

/** Hashes a password: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. */
export async function hashPassword(password: string, params = DEFAULT_ARGON2_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params);
  const b64 = (buffer: Buffer) => buffer.toString("base64").replace(/=+$/, "");
  return `$argon2id$v=19$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
}

const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Whether `password` matches a hash made by hashPassword. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = phc.exec(encoded);
  if (match === null) return false;
  const [, memory, passes, parallelism, salt, hash] = match as unknown as string[];
  const expected = Buffer.from(hash as string, "base64");
  const actual = await derive(password, Buffer.from(salt as string, "base64"), {
    memoryKiB: Number(memory),
    passes: Number(passes),
    parallelism: Number(parallelism),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
