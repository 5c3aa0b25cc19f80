/**
 * The gateway's configuration, read once from the environment. Every value has
 * a default that runs on localhost; a bad value names its variable.
 */
import { isIP } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import {
  ConfigError,
  type Env,
  envInt,
  envList,
  envLogLevel,
  envOptionalUrl,
  envPort,
  envString,
  envUrl,
} from "@skyros/kit/config";

/** A service the gateway fronts: where it listens and the contracts it implements. */
export interface Upstream {
  /** Short name used in /readyz and logs ("user"). */
  readonly name: string;
  readonly url: string;
  readonly services: readonly DescService[];
}

/** Fixed-window limits: at most `max` hits per `windowMs` for one key; max 0 turns a limit off. */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly upstreams: readonly Upstream[];
  /** Upstream names /readyz waits for (the ones this deployment runs). */
  readonly requiredUpstreams: readonly string[];
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** Deadline of every call to a service. */
  readonly callTimeoutMs: number;
  /** Origins allowed by CORS; empty: no cross-origin access. */
  readonly corsOrigins: readonly string[];
  readonly bodyLimitBytes: number;
  /**
   * Time a request (its headers and body) has to arrive, and a new connection to
   * start one: a client that trickles bytes, or sends none, holds no connection longer.
   */
  readonly requestTimeoutMs: number;
  /** Failed logins per email address. */
  readonly failedLoginLimit: RateLimit;
  /** Login and register calls per client address. */
  readonly authPerAddressLimit: RateLimit;
  /** Every request per client address (off by default). */
  readonly generalPerAddressLimit: RateLimit;
  /** Redis shared by every replica for the rate limits' counts; unset: each replica's memory. */
  readonly redisUrl: string | undefined;
  /** Prefix of the gateway's keys in that Redis, so that deployments can share one. */
  readonly redisKeyPrefix: string;
  /** Which proxies' X-Forwarded-For entries name the client (see TrustedProxies). */
  readonly trustProxy: TrustedProxies;
  readonly logLevel: string;
}

const httpProtocols = ["http:", "https:"] as const;

/**
 * Which peers the gateway believes about the client's address, which the
 * per-address rate limits count by. False: nobody; the address is the
 * connection's peer. A list of proxies (addresses, CIDR ranges, or proxy-addr's
 * "loopback", "linklocal", "uniquelocal"): when the peer is on it, the gateway
 * walks X-Forwarded-For from the right past every listed proxy, and the first
 * address that is not one names the client. True: the leftmost entry, whoever
 * sent it. That is only safe behind a proxy that replaces the header; proxies
 * that append to it (most do) pass on whatever the client wrote there, and a
 * client that writes a new address each time is never limited. (A count of
 * hops is not offered: it cannot tell a proxy from a client that connects
 * directly, so Fastify trusts no hop given one.)
 */
export type TrustedProxies = boolean | readonly string[];

const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = "", bits, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function envTrustedProxies(env: Env, name: string): TrustedProxies {
  const value = env[name]?.trim().toLowerCase() ?? "";
  if (["", "false", "0", "no"].includes(value)) return false;
  if (["true", "1", "yes"].includes(value)) return true;
  const entries = envList(env, name).map((entry) => entry.toLowerCase());
  const wrong = entries.find((entry) => !isAddressOrRange(entry));
  if (wrong !== undefined) {
    throw new ConfigError(
      `${name} must be true, false, or the addresses and CIDR ranges of the proxies in front, got "${wrong}"`,
    );
  }
  return entries.length === 0 ? false : entries;
}

const UPSTREAMS = [
  { name: "user", variable: "USER_SERVICE_URL", port: 4011, services: [UserService] },
  { name: "product", variable: "PRODUCT_SERVICE_URL", port: 4022, services: [ProductService] },
  { name: "order", variable: "ORDER_SERVICE_URL", port: 4033, services: [OrderService] },
] as const;

function limit(env: Env, prefix: string, max: number, windowMs: number): RateLimit {
  return {
    max: envInt(env, `${prefix}_MAX`, max, 0, 1_000_000_000),
    windowMs: envInt(env, `${prefix}_WINDOW_MS`, windowMs, 1_000, 86_400_000),
  };
}

/** Reads the gateway's configuration; throws ConfigError naming a bad variable. */
export function readGatewayConfig(env: Env): GatewayConfig {
  const logLevel = envLogLevel(env, "LOG_LEVEL", "info");
  const upstreams = UPSTREAMS.map((upstream) => ({
    name: upstream.name,
    url: envUrl(env, upstream.variable, httpProtocols, `http://127.0.0.1:${upstream.port}`),
    services: upstream.services,
  }));
  const names: string[] = upstreams.map((upstream) => upstream.name);
  const requiredUpstreams = envList(env, "GATEWAY_REQUIRED_SERVICES", names);
  // "," would leave /readyz checking nothing, and so always ready.
  if (requiredUpstreams.length === 0) {
    throw new ConfigError("GATEWAY_REQUIRED_SERVICES lists no service; leave it unset to require all");
  }
  for (const name of requiredUpstreams) {
    if (!names.includes(name)) {
      throw new ConfigError(`GATEWAY_REQUIRED_SERVICES must name services among ${names.join(", ")}`);
    }
  }
  const corsOrigins = envList(env, "GATEWAY_CORS_ORIGINS");
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(
        `GATEWAY_CORS_ORIGINS must list origins like https://shop.example, got "${origin}"`,
      );
    }
  }
  return {
    host: envString(env, "GATEWAY_HTTP_HOST", "127.0.0.1"),
    port: envPort(env, "GATEWAY_HTTP_PORT", 4000),
    upstreams,
    requiredUpstreams,
    jwtIssuer: envString(env, "SKYROS_JWT_ISSUER", "skyros"),
    jwtAudience: envString(env, "SKYROS_JWT_AUDIENCE", "skyros"),
    callTimeoutMs: envInt(env, "GATEWAY_CALL_TIMEOUT_MS", 5_000, 1, 600_000),
    corsOrigins,
    bodyLimitBytes: envInt(env, "GATEWAY_BODY_LIMIT_BYTES", 1_048_576, 1, 1_073_741_824),
    requestTimeoutMs: envInt(env, "GATEWAY_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    failedLoginLimit: limit(env, "GATEWAY_RATE_LIMIT_FAILED_LOGIN", 10, 15 * 60_000),
    authPerAddressLimit: limit(env, "GATEWAY_RATE_LIMIT_AUTH", 300, 60_000),
    generalPerAddressLimit: limit(env, "GATEWAY_RATE_LIMIT_GENERAL", 0, 60_000),
    redisUrl: envOptionalUrl(env, "REDIS_URL", ["redis:", "rediss:"]),
    redisKeyPrefix: envString(env, "REDIS_KEY_PREFIX", "skyros:"),
    trustProxy: envTrustedProxies(env, "GATEWAY_TRUST_PROXY"),
    logLevel,
  };
}
