/** Starting and stopping the hop-free reference server, with its own database. */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { dropServiceDatabase, ensureServiceDatabase } from "@skyros/kit/provisioning";
import type { Catalog } from "./catalog.ts";
import { seedReference } from "./reference-schema.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";

/** Creates and seeds the reference's database on the server of `adminUrl`, then starts the server. */
export async function startReference(
  adminUrl: string,
  catalog: Catalog,
  options: { namePrefix: string; nodeArgs: readonly string[] },
): Promise<ServerProcess> {
  const grant = { database: `${options.namePrefix}_reference`, role: `${options.namePrefix}_reference` };
  const url = await ensureServiceDatabase(adminUrl, {
    ...grant,
    password: randomBytes(18).toString("base64url"),
  });
  await seedReference(url, catalog);
  const server = await startServerProcess(
    "reference server",
    join(import.meta.dirname, "reference-server.ts"),
    { REFERENCE_DATABASE_URL: url, REFERENCE_PORT: "0" },
    options.nodeArgs,
  );
  return {
    ...server,
    async stop() {
      await server.stop();
      await dropServiceDatabase(adminUrl, grant);
    },
  };
}
