/**
 * The user service as a library: given its configuration and a database URL it
 * migrates the database, loads the signing keys and serves gRPC.
 */

import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import { createAccessTokenVerifier } from "@skyros/kit/auth";
import type { Logger } from "@skyros/kit/logger";
import { openServiceDatabase, type ServedService, serveService } from "@skyros/kit/service-server";
import type { UserConfig } from "./config.ts";
import { createUserHandlers } from "./handlers.ts";
import { createLoginFailureStore } from "./login-failure-store.ts";
import { hashPassword } from "./passwords.ts";
import { loadSigningKeys } from "./signing-keys.ts";
import { createUserStore } from "./store.ts";

export interface RunningUserService {
  readonly port: number;
  /** Where its metrics are served, when they are. */
  readonly metricsPort: number | undefined;
  close(): Promise<void>;
}

/** Starts the user service on config.host:config.port (0: any free port). */
export async function startUserService(
  config: UserConfig,
  databaseUrl: string,
  logger: Logger,
): Promise<RunningUserService> {
  const sql = await openServiceDatabase(databaseUrl, config, logger, {
    name: "user",
    migrationsDir: new URL("../migrations", import.meta.url),
  });
  const store = createUserStore(sql);
  const keys = await loadSigningKeys(store, config.signingKeyJwk);
  const verifier = createAccessTokenVerifier({
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    loadKeys: async () => keys.publicJwks,
  });
  const handlers = createUserHandlers({
    store,
    keys,
    verifier,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    dummyPasswordHash: await hashPassword("not-a-real-password"),
    loginFailures: createLoginFailureStore(sql),
    failedLoginLimit: config.failedLoginLimit,
  });
  let server: ServedService;
  try {
    server = await serveService(config, logger, UserService, handlers, { url: databaseUrl, name: "user" });
  } catch (error) {
    await sql.end();
    throw error;
  }
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    async close() {
      await server.close();
      await sql.end({ timeout: 5 });
    },
  };
}
