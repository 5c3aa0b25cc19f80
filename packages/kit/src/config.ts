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
