/**
 * Refresh tokens: 256 random bits, given to the client once and stored only as
 * a SHA-256 hash (a stolen database does not yield usable tokens).
 */
import { createHash, randomBytes } from "node:crypto";

/** A new refresh token and the hash to store. */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashRefreshToken(token) };
}

/** The stored form of a refresh token. */
export function hashRefreshToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** What presenting a stored refresh token means, given its record. */
export type RefreshVerdict = "rotate" | "reuse" | "invalid";

/** Decides what to do with a presented refresh token (pure: the store acts on it). */
export function judgeRefreshToken(
  record: { expireTime: Date; rotateTime: Date | null; revokeTime: Date | null } | undefined,
  now: Date,
): RefreshVerdict {
  if (record === undefined || record.revokeTime !== null) return "invalid";
  if (record.rotateTime !== null) return "reuse";
  if (record.expireTime <= now) return "invalid";
  return "rotate";
}
