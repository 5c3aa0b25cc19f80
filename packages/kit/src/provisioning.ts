/**
 * Creating a service's database and role on a PostgreSQL server, given a
 * superuser URL: what `npm start` and the tests do, and what an operator does
 * once by hand in production.
 */
import { postgres } from "./postgres-driver.ts";

export interface DatabaseGrant {
  readonly database: string;
  readonly role: string;
  readonly password: string;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

function checkIdentifier(name: string): string {
  if (!identifier.test(name)) throw new Error(`not a safe PostgreSQL identifier: ${name}`);
  return name;
}

/** The URL of `database` on the server of `serverUrl`, logging in as role/password. */
export function databaseUrl(serverUrl: string, grant: DatabaseGrant): string {
  const url = new URL(serverUrl);
  url.username = grant.role;
  url.password = grant.password;
  url.pathname = `/${grant.database}`;
  return url.toString();
}

/**
 * Ensures the role (with this password) and its own database exist, and that no
 * other role may connect to that database. Returns the database's URL for the role.
 */
export async function ensureServiceDatabase(adminUrl: string, grant: DatabaseGrant): Promise<string> {
  const role = checkIdentifier(grant.role);
  const database = checkIdentifier(grant.database);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [existingRole] = await admin`select 1 from pg_roles where rolname = ${role}`;
    if (existingRole === undefined) {
      await admin.unsafe(`create role ${role} login`);
    }
    // Passwords cannot be bound parameters in CREATE/ALTER ROLE; quote it as a literal.
    await admin.unsafe(`alter role ${role} with login password '${grant.password.replaceAll("'", "''")}'`);
    const [existingDatabase] = await admin`select 1 from pg_database where datname = ${database}`;
    if (existingDatabase === undefined) {
      await admin.unsafe(`create database ${database} owner ${role}`);
    }
    await admin.unsafe(`revoke connect on database ${database} from public`);
  } finally {
    await admin.end();
  }
  return databaseUrl(adminUrl, grant);
}

/** Creates an empty database with a unique name, for one test suite; `drop` removes it. */
export async function createScratchDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = checkIdentifier(
    `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`,
  );
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

/** Drops a service's database and role (test clean-up). */
export async function dropServiceDatabase(
  adminUrl: string,
  grant: Omit<DatabaseGrant, "password">,
): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${checkIdentifier(grant.database)} with (force)`);
    await admin.unsafe(`drop role if exists ${checkIdentifier(grant.role)}`);
  } finally {
    await admin.end();
  }
}
