/**
 * `npm start`: the whole system on this machine. An embedded PostgreSQL keeps
 * its data under ./.skyros/ (unless SKYROS_DATABASE_URL names a server), every
 * service runs as its own process, and Ctrl-C stops them all.
 */
import { join } from "node:path";
import { envOptionalUrl, envPort, envString, loadConfigOrExit } from "@skyros/kit/config";
import { startEmbeddedPostgres } from "@skyros/kit/embedded-postgres";
import { portsFromEnv, startSystem } from "./system.ts";

const config = loadConfigOrExit((env) => ({
  adminUrl: envOptionalUrl(env, "SKYROS_DATABASE_URL", ["postgres:", "postgresql:"]),
  dataDir: envString(env, "SKYROS_DATA_DIR", ".skyros"),
  postgresPort: envPort(env, "SKYROS_PG_PORT", 55432),
  ports: portsFromEnv(env),
}));

const say = (line: string) => process.stdout.write(`[launcher] ${line}\n`);
let stopPostgres = async () => {};
let adminUrl = config.adminUrl;
if (adminUrl === undefined) {
  say(`starting embedded PostgreSQL on 127.0.0.1:${config.postgresPort} (data in ${config.dataDir}/pg)`);
  const embedded = await startEmbeddedPostgres({
    dataDir: join(config.dataDir, "pg"),
    port: config.postgresPort,
  });
  adminUrl = embedded.url;
  stopPostgres = embedded.stop;
}

// Each service's Prometheus metrics, on its gRPC port + 5000 unless the
// environment says otherwise (or that port would not exist).
const metricsPorts: Record<string, string> = {};
for (const prefix of ["USER", "PRODUCT", "ORDER"] as const) {
  const variable = `${prefix}_METRICS_PORT`;
  const port = config.ports[prefix.toLowerCase() as "user" | "product" | "order"] + 5000;
  const chosen = process.env[variable]?.trim();
  if (chosen) metricsPorts[variable] = chosen;
  else if (port <= 65_535) metricsPorts[variable] = String(port);
}
const system = await startSystem({ adminUrl, ports: config.ports, restart: true, env: metricsPorts });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say("stopping");
  await system.stop();
  await stopPostgres();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  await system.waitReady(60_000);
  say(
    `ready: ${system.services.join(", ")}${system.services.includes("gateway") ? ` (${system.gatewayUrl})` : ""}`,
  );
} catch (error) {
  say(String(error));
}
