/**
 * A gateway in front of the test-only LibraryService, in this process, with
 * access tokens signed by a key of the test's own.
 */
import { fileURLToPath } from "node:url";
import type { AccessTokenVerifier } from "@skyros/kit/auth";
import { createAccessTokenVerifier } from "@skyros/kit/auth";
import type { Env } from "@skyros/kit/config";
import { type JsonRequest, type JsonResponse, requestJson, testLogger } from "@skyros/kit/testing";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { type GatewayConfig, readGatewayConfig, type Upstream } from "../src/config.ts";
import { type RunningGateway, startGateway } from "../src/gateway.ts";
import { LibraryService } from "./gen/skyros/gatewaytest/v1/library_pb.js";

/** The comments of the test contracts, written by `npm run generate`. */
export const TEST_DESCRIPTORS = fileURLToPath(new URL("gen/descriptors.json", import.meta.url));

export interface TestTokens {
  readonly verifier: AccessTokenVerifier;
  sign(role: string, subject?: string): Promise<string>;
}

/** A signing key and a verifier that trusts it. */
export async function createTestTokens(): Promise<TestTokens> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key" };
  return {
    verifier: createAccessTokenVerifier({
      issuer: "skyros",
      audience: "skyros",
      loadKeys: async () => [jwk],
    }),
    sign: (role, subject = "9d3c2b1a-0f9e-4d8c-8b7a-6f5e4d3c2b1a") =>
      new SignJWT({ role })
        .setProtectedHeader({ alg: "EdDSA", kid: "test-key" })
        .setSubject(subject)
        .setIssuer("skyros")
        .setAudience("skyros")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey),
  };
}

export type TestResponse = JsonResponse;

/** Calls a gateway the way a client does. */
export function call(
  gateway: RunningGateway,
  method: string,
  path: string,
  init: JsonRequest = {},
): Promise<JsonResponse> {
  return requestJson(`${gateway.url}${path}`, method, init);
}

/**
 * Starts a gateway fronting the library service at `libraryUrl` (plus any
 * `extra` upstreams), configured from `env` like the real one.
 */
export function startTestGateway(
  libraryUrl: string,
  tokens: TestTokens,
  env: Env = {},
  extra: readonly Upstream[] = [],
  required: readonly string[] = ["library"],
): Promise<RunningGateway> {
  const config: GatewayConfig = {
    ...readGatewayConfig({ GATEWAY_HTTP_PORT: "0", ...env }),
    upstreams: [{ name: "library", url: libraryUrl, services: [LibraryService] }, ...extra],
    requiredUpstreams: required,
  };
  return startGateway(config, testLogger("gateway"), {
    verifier: tokens.verifier,
    descriptorSets: [TEST_DESCRIPTORS],
  });
}
