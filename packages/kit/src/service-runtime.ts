/**
 * What a service's main needs around its library: a database (configured, or an
 * embedded one for development), and a clean stop on SIGTERM or SIGINT.
 */
import { join } from "node:path";
import { type Env, ignoredVariables, loadConfigOrExit } from "./config.ts";
import { createDatabase, type Sql } from "./database.ts";
import { createLogger, type Logger } from "./logger.ts";
import { migrate, readMigrations } from "./migrations.ts";
import { ensureServiceDatabase } from "./provisioning.ts";
import type { ServiceBaseConfig } from "./service-config.ts";

/**
 * The URL of the service's database: the configured one, or else a database in
 * an embedded PostgreSQL of the service's own (stopped by the returned `stop`).
 */
export async function resolveDatabaseUrl(
  config: ServiceBaseConfig,
  service: string,
  logger: Logger,
): Promise<{ url: string; stop: () => Promise<void> }> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, stop: async () => {} };
  logger.info({ port: config.embeddedPort }, "no database URL configured: starting an embedded PostgreSQL");
  // Loaded only here: production images configure a database and do not ship it.
  const { startEmbeddedPostgres } = await import("./embedded-postgres.ts");
  const embedded = await startEmbeddedPostgres({
    dataDir: join(config.embeddedDataDir, `${service}-pg`),
    port: config.embeddedPort,
    logger,
  });
  const url = await ensureServiceDatabase(embedded.url, {
    database: service,
    role: service,
    password: config.serviceCredential,
  });
  return { url, stop: embedded.stop };
}

/** Opens a pool on the database and applies the service's migrations. */
export async function openMigratedDatabase(
  url: string,
  options: { migrationsDir: string | URL; maxConnections: number; applicationName: string; logger: Logger },
): Promise<Sql> {
  const sql = createDatabase(url, options);
  try {
    const applied = await migrate(sql, await readMigrations(options.migrationsDir));
    if (applied.length > 0) options.logger.info({ applied }, "migrations applied");
  } catch (error) {
    await sql.end();
    throw error;
  }
  return sql;
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits (1 if stopping failed). */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/**
 * Logs, as a structured fatal line, the exception or unhandled rejection that is
 * about to end the process. Node's own handling is unchanged: it still prints
 * the stack to stderr and exits 1, since a process past an unknown fault is not
 * one to keep serving from; the line puts the cause where the logs are read.
 */
export function logFatalErrors(logger: Logger): void {
  process.on("uncaughtExceptionMonitor", (error, origin) => {
    logger.fatal({ err: error, origin }, "the process ends on an error nothing handled");
  });
}

/**
 * Warns of each variable with the process's own prefix (USER_, GATEWAY_, ...)
 * that its configuration does not read, naming the one probably meant.
 */
export function warnOfIgnoredVariables(logger: Logger, parse: (env: Env) => unknown, prefix: string): void {
  for (const { name, meant } of ignoredVariables(parse, process.env, [prefix])) {
    logger.warn({ variable: name, meant }, "ignored variable: no setting has this name");
  }
}

export interface ServiceMainOptions<C extends ServiceBaseConfig> {
  /** The name on every log line. */
  readonly service: string;
  /** Its database's name in an embedded PostgreSQL, when none is configured. */
  readonly database: string;
  readonly readConfig: (env: Env) => C;
  readonly start: (config: C, databaseUrl: string, logger: Logger) => Promise<{ close(): Promise<void> }>;
}

/**
 * The whole main of a service that keeps state: read the configuration (exit 1
 * on a bad value), start on its database (an embedded one when none is
 * configured), and stop cleanly on SIGTERM or SIGINT. A start that fails is
 * logged and exits 1.
 */
export async function runServiceMain<C extends ServiceBaseConfig>(
  options: ServiceMainOptions<C>,
): Promise<void> {
  const config = loadConfigOrExit(options.readConfig);
  const logger = createLogger({ service: options.service, level: config.logLevel });
  logFatalErrors(logger);
  warnOfIgnoredVariables(logger, options.readConfig, `${options.service.toUpperCase()}_`);
  try {
    const database = await resolveDatabaseUrl(config, options.database, logger);
    const service = await options.start(config, database.url, logger);
    stopOnSignals(logger, async () => {
      await service.close();
      await database.stop();
    });
  } catch (error) {
    logger.fatal({ err: error }, "start failed");
    process.exit(1);
  }
}
