/**
 * What other services need from the user service: the public keys that verify
 * access tokens (fetched over gRPC, cached by the verifier) and users' profiles
 * by id, in one batched call.
 */

import type { Transport } from "@connectrpc/connect";
import { type User, UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { JWK } from "jose";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./auth.ts";
import { unavailable } from "./errors.ts";
import { createServiceClient, createServiceTransport } from "./grpc-client.ts";
import type { Logger } from "./logger.ts";
import { withProfileCache } from "./profile-cache.ts";
import type { ServiceBaseConfig } from "./service-config.ts";
import { withTokenCache } from "./token-cache.ts";

/** Where to open a connection to the user service. */
export interface UserServiceAddress {
  /** e.g. http://127.0.0.1:4011 */
  readonly userServiceUrl: string;
  readonly timeoutMs: number;
  /** Needed for profiles (an internal RPC); the public keys need none. */
  readonly serviceCredential?: string;
  /** Where a fault of ours on the connection is reported. */
  readonly logger?: Logger;
}

export interface UserDirectoryOptions {
  /** A connection the caller already has (and closes), or where to open one. */
  readonly userService: Transport | UserServiceAddress;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
}

export interface UserDirectory {
  /** Verifies access tokens with the user service's published keys. */
  readonly verifier: AccessTokenVerifier;
  /** Profiles by id, fetched in one call; unknown ids are absent from the map. */
  usersByIds(ids: Iterable<string>): Promise<Map<string, User>>;
}

/** A client of the user service for the other services. */
export function createUserDirectory(options: UserDirectoryOptions): UserDirectory {
  const { userService } = options;
  const client = createServiceClient(
    UserService,
    "userServiceUrl" in userService
      ? createServiceTransport({
          baseUrl: userService.userServiceUrl,
          timeoutMs: userService.timeoutMs,
          credential: userService.serviceCredential,
          logger: userService.logger,
        })
      : userService,
  );
  return {
    verifier: createAccessTokenVerifier({
      issuer: options.jwtIssuer,
      audience: options.jwtAudience,
      loadKeys: async () => (await client.getJwks({})).keys.map((key) => ({ ...key }) as JWK),
    }),
    async usersByIds(ids) {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const { users } = await client.getUsers({ ids: unique });
      return new Map(users.map((user) => [user.id, user]));
    },
  };
}

/**
 * The user directory of a service, as its configuration asks: profiles reused
 * for `profileCacheTtlMs`, and a token that verified trusted for up to a minute
 * (clients send one token on many requests; a signature check per request is
 * measurable CPU).
 */
export function createCachedUserDirectory(config: ServiceBaseConfig, logger?: Logger): UserDirectory {
  const directory = withProfileCache(
    createUserDirectory({
      userService: {
        userServiceUrl: config.userServiceUrl,
        timeoutMs: config.callTimeoutMs,
        serviceCredential: config.serviceCredential,
        logger,
      },
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
    }),
    { ttlMs: config.profileCacheTtlMs, maxEntries: 10_000 },
  );
  return {
    verifier: withTokenCache(directory.verifier, { maxEntries: 10_000, maxAgeMs: 60_000 }),
    usersByIds: (ids) => directory.usersByIds(ids),
  };
}

/**
 * Profiles by id for a response that shows them: when the user service cannot
 * answer, the cause (which may name hosts and ports) goes to the log and the
 * caller gets a plain Unavailable that says what is missing.
 */
export async function fetchProfiles(
  users: UserDirectory,
  ids: Iterable<string>,
  logger: Logger,
  what = "user profiles",
): Promise<Map<string, User>> {
  try {
    return await users.usersByIds(ids);
  } catch (error) {
    logger.warn({ err: error }, `fetching ${what} from the user service failed`);
    throw unavailable(`${what} are unavailable; try again`);
  }
}
