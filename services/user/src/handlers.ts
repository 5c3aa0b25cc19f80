/**
 * The user service's RPC handlers: authenticate, validate, call the store, map
 * records to messages. Every failure is a DomainError with a safe message.
 */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type TokenPair,
  TokenPairSchema,
  type User,
  UserSchema,
  type UserService,
} from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { type AccessTokenVerifier, authenticate, ROLES, type Role } from "@skyros/kit/auth";
import {
  alreadyExists,
  invalidArgument,
  notFound,
  resourceExhausted,
  unauthenticated,
} from "@skyros/kit/errors";
import { requireEmail, requireIds, requireText } from "@skyros/kit/validation";
import type { LoginFailureStore } from "./login-failure-store.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { hashRefreshToken, newRefreshToken } from "./refresh-tokens.ts";
import type { SigningKeys } from "./signing-keys.ts";
import type { UserRecord, UserStore } from "./store.ts";

export interface UserHandlerDeps {
  readonly store: UserStore;
  readonly keys: SigningKeys;
  readonly verifier: AccessTokenVerifier;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** A hash checked against when the email is unknown, so both failures take as long. */
  readonly dummyPasswordHash: string;
  readonly loginFailures: LoginFailureStore;
  /** Failed logins an email address may have per window; 0: no limit. */
  readonly failedLoginLimit: { readonly max: number; readonly windowMs: number };
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_BYTES = 1024;
const MAX_IDS = 1000;

/**
 * The password field, bounded in bytes before any hashing work is done, in
 * Unicode's NFKC form (as NIST SP 800-63B asks): "é" typed as one character
 * or as "e" and an accent, as one keyboard or another sends it, is one password.
 */
function requirePassword(password: string, checkLength: boolean): string {
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) {
    throw invalidArgument("password", `must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
  if (password === "") throw invalidArgument("password", "is required");
  const normalized = password.normalize("NFKC");
  if (checkLength && [...normalized].length < MIN_PASSWORD_LENGTH) {
    throw invalidArgument("password", `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return normalized;
}

function requireRole(value: string): Role {
  if (!ROLES.includes(value as Role)) throw invalidArgument("userType", "must be buyer or seller");
  return value as Role;
}

/**
 * The stored hash a refresh token would have; undefined for a value far longer
 * than any token we issue (an access token sent by mistake, say), which is
 * treated as any other unknown token rather than as a malformed request.
 */
function refreshTokenHash(value: string): Buffer | undefined {
  if (value === "") throw invalidArgument("refreshToken", "is required");
  return value.length > 256 ? undefined : hashRefreshToken(value);
}

const invalidRefreshToken = () => unauthenticated("refresh token is invalid or expired");

/** A user record as its public message. */
export function toUserMessage(user: UserRecord): User {
  return create(UserSchema, {
    id: user.id,
    email: user.email,
    name: user.name,
    address: user.address,
    type: user.type,
  });
}

/** The handlers of skyros.user.v1.UserService. */
export function createUserHandlers(deps: UserHandlerDeps): ServiceImpl<typeof UserService> {
  const { store, keys } = deps;
  const refreshExpiry = () => new Date(Date.now() + deps.refreshTokenTtlSeconds * 1000);

  const issueTokens = async (
    user: UserRecord,
    familyId: string,
    refresh = newRefreshToken(),
  ): Promise<TokenPair> => {
    const accessToken = await keys.signAccessToken({
      userId: user.id,
      role: user.type,
      issuer: deps.issuer,
      audience: deps.audience,
      ttlSeconds: deps.accessTokenTtlSeconds,
    });
    if (familyId !== "") {
      await store.insertRefreshToken({
        hash: refresh.hash,
        familyId,
        userId: user.id,
        expireTime: refreshExpiry(),
      });
    }
    return create(TokenPairSchema, {
      accessToken,
      refreshToken: refresh.token,
      expiresIn: deps.accessTokenTtlSeconds,
      tokenType: "Bearer",
    });
  };

  const caller = (context: HandlerContext) => authenticate(deps.verifier, context.requestHeader);

  /**
   * The user whose password this is, or undefined. Passwords are hashed in
   * NFKC form; one set before that, as typed, is still accepted in the form it
   * was set in, and rehashed in NFKC form on the way. An unknown email costs a
   * hash check all the same, so both failures take as long.
   */
  const checkPassword = async (email: string, normalized: string, typed: string) => {
    const credentials = await store.findCredentialsByEmail(email);
    const hash = credentials?.passwordHash ?? deps.dummyPasswordHash;
    let matches = await verifyPassword(normalized, hash);
    if (!matches && typed !== normalized) {
      matches = await verifyPassword(typed, hash);
      if (matches && credentials !== undefined) {
        await store.updatePasswordHash(credentials.user.id, await hashPassword(normalized));
      }
    }
    return matches && credentials !== undefined ? credentials.user : undefined;
  };

  return {
    async register(request) {
      const type = requireRole(request.userType);
      const name = requireText(request.name, "name", { maxBytes: 200 });
      const email = requireEmail(request.email);
      const password = requirePassword(request.password, true);
      const address = requireText(request.address, "address", { min: 0, maxBytes: 500, multiline: true });
      // A seller's address is where their orders ship from (the orders' sourceAddress).
      if (type === "seller" && address === "") throw invalidArgument("address", "is required for sellers");
      const user: UserRecord = { id: randomUUID(), email, name, address, type };
      const outcome = await store.insertUser({ ...user, passwordHash: await hashPassword(password) });
      if (outcome === "duplicate-email") throw alreadyExists("an account with this email already exists");
      return issueTokens(user, randomUUID());
    },

    async login(request) {
      const email = requireEmail(request.email);
      const password = requirePassword(request.password, false);
      const { max, windowMs } = deps.failedLoginLimit;
      if (max > 0) {
        // The same limit as the gateway's, kept here too: the service's port
        // must give no more guesses than the gateway does.
        const { failures, secondsLeft } = await deps.loginFailures.countAttempt(email, windowMs);
        if (failures > max) {
          const seconds = Math.max(1, secondsLeft);
          throw resourceExhausted(
            `too many failed logins for this account; try again in ${seconds} s`,
            seconds,
          );
        }
      }
      let signedIn: UserRecord | undefined;
      try {
        signedIn = await checkPassword(email, password, request.password);
      } catch (error) {
        // Not a wrong password (the database failed, say): the attempt does not count.
        if (max > 0) await deps.loginFailures.forgive(email).catch(() => {});
        throw error;
      }
      if (signedIn === undefined) throw unauthenticated("wrong email or password");
      if (max > 0) await deps.loginFailures.forgive(email);
      return issueTokens(signedIn, randomUUID());
    },

    async refresh(request) {
      const hash = refreshTokenHash(request.refreshToken);
      if (hash === undefined) throw invalidRefreshToken();
      const next = newRefreshToken();
      const outcome = await store.rotateRefreshToken(
        hash,
        { hash: next.hash, expireTime: refreshExpiry() },
        new Date(),
      );
      if (outcome.verdict === "reuse") {
        throw unauthenticated("refresh token was already used; its session has been revoked");
      }
      if (outcome.verdict !== "rotate" || outcome.user === undefined) {
        throw invalidRefreshToken();
      }
      // The new token is already stored in the family by the rotation.
      return issueTokens(outcome.user, "", next);
    },

    async logout(request, context) {
      const { userId } = await caller(context);
      // Idempotent: an unknown or already revoked token is not an error.
      const hash = refreshTokenHash(request.refreshToken);
      if (hash !== undefined) await store.revokeRefreshFamily(hash, userId);
      return {};
    },

    async getMe(_request, context) {
      const { userId } = await caller(context);
      const user = await store.findUserById(userId);
      if (user === undefined) throw notFound("user not found");
      return toUserMessage(user);
    },

    getJwks() {
      return { keys: keys.publicJwks.map((jwk) => ({ ...jwk })) };
    },

    async getUsers(request) {
      const users = await store.findUsersByIds(requireIds(request.ids, "ids", MAX_IDS));
      return { users: users.map(toUserMessage) };
    },
  };
}
