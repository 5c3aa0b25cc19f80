/**
 * Reading configuration from environment variables: every value is parsed and
 * checked once, at start-up, and a bad one stops the process with a message that
 * names the variable.
 */

/** The environment a configuration is read from (process.env, or a literal in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration value that is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

/** A string variable, or the fallback when unset. Without a fallback it is required. */
export function envString(env: Env, name: string, fallback?: string): string {
  const value = raw(env, name) ?? fallback;
  if (value === undefined) throw new ConfigError(`${name} is required`);
  return value;
}

/** An optional string variable. */
export function envOptional(env: Env, name: string): string | undefined {
  return raw(env, name);
}

/** An integer variable within [min, max]. */
export function envInt(
  env: Env,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`${name} must be an integer, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${parsed}`);
  return parsed;
}

/** A TCP port variable. */
export function envPort(env: Env, name: string, fallback: number): number {
  return envInt(env, name, fallback, 0, 65535);
}

/** A boolean variable: true/false, 1/0, yes/no. */
export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (["true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

/** A comma-separated list variable. */
export function envList(env: Env, name: string, fallback: readonly string[] = []): string[] {
  const value = raw(env, name);
  if (value === undefined) return [...fallback];
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** The levels a logger accepts, most verbose first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** A log level variable (one of LOG_LEVELS). */
export function envLogLevel(env: Env, name: string, fallback: LogLevel): LogLevel {
  const value = envString(env, name, fallback);
  if (!(LOG_LEVELS as readonly string[]).includes(value))
    throw new ConfigError(`${name} must be one of ${LOG_LEVELS.join(", ")}, got "${value.slice(0, 40)}"`);
  return value as LogLevel;
}

/** A URL variable with one of the given protocols (e.g. "postgres:"). */
export function envUrl(env: Env, name: string, protocols: readonly string[], fallback?: string): string {
  const value = envString(env, name, fallback);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must be a ${protocols.join(" or ")} URL`);
  }
  return value;
}

/** An optional URL variable. */
export function envOptionalUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  return raw(env, name) === undefined ? undefined : envUrl(env, name, protocols);
}

/**
 * A PostgreSQL URL that names its server and its database. postgres.js fills
 * what a URL leaves out from its own defaults (localhost, the user's name),
 * so `postgres://` alone would start a service on some other database.
 */
export function envPostgresUrl(env: Env, name: string): string | undefined {
  if (raw(env, name) === undefined) return undefined;
  const value = envUrl(env, name, ["postgres:", "postgresql:"]);
  const url = new URL(value);
  const hasHost = url.hostname !== "" || url.searchParams.has("host");
  if (!hasHost || url.pathname.length <= 1) {
    throw new ConfigError(
      `${name} must name the server and the database, as in postgres://user:password@host:5432/database`,
    );
  }
  return value;
}

/**
 * Parses the configuration with `parse`, or prints the problem and exits with
 * status 1: what a service's main does first.
 */
export function loadConfigOrExit<T>(parse: (env: Env) => T, env: Env = process.env): T {
  try {
    return parse(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

// Kubernetes' service links: a Service named "user" gives every pod
// USER_SERVICE_HOST, USER_SERVICE_PORT, USER_PORT=tcp://..., USER_PORT_4011_TCP
// and the like, which no reader of ours asks for.
const SERVICE_LINK =
  /_(?:SERVICE_HOST|SERVICE_PORT(?:_\w+)?|PORT_\d+_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)$/;
const isServiceLink = (name: string, value: string | undefined) =>
  SERVICE_LINK.test(name) || (name.endsWith("_PORT") && /^(?:tcp|udp|sctp):\/\//.test(value ?? ""));
// The peers' addresses are handed to every process alike; each reads the ones it calls.
const PEER_ADDRESS = /_SERVICE_URL$/;

/** A variable with one of a process's own prefixes that its configuration never read. */
export interface IgnoredVariable {
  readonly name: string;
  /** A variable it does read, within two edits: what was probably meant. */
  readonly meant?: string;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The variables named with one of `prefixes` that `parse` does not read: a
 * misspelt setting (USER_GRPC_PROT) would otherwise leave its default in
 * place without a word. Parsing is pure, so it is simply run again, watching.
 */
export function ignoredVariables(
  parse: (env: Env) => unknown,
  env: Env,
  prefixes: readonly string[],
): IgnoredVariable[] {
  const read = new Set<string>();
  parse(
    new Proxy(env, {
      get(target, name) {
        if (typeof name === "string") read.add(name);
        return Reflect.get(target, name);
      },
    }),
  );
  const ignored: IgnoredVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!prefixes.some((prefix) => name.startsWith(prefix)) || read.has(name)) continue;
    const meant = [...read].find((known) => editDistance(name, known) <= 2);
    // A near miss of a setting is reported whatever its shape (USER_GRCP_PORT).
    if (meant !== undefined) ignored.push({ name, meant });
    else if (!isServiceLink(name, env[name]) && !PEER_ADDRESS.test(name)) ignored.push({ name });
  }
  return ignored;
}
