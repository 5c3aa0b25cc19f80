/**
 * Applies a service's numbered `.sql` migrations. All of them run in one
 * transaction under an advisory lock, so replicas starting together apply each
 * exactly once; an applied file whose content changed stops the start-up
 * (migrations are immutable: add a new one instead).
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sql } from "./database.ts";

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The file it was read from, for messages. */
  readonly file?: string;
  readonly sql: string;
  readonly checksum: string;
}

const fileName = /^(\d+)_([a-z0-9_]+)\.sql$/;

/** Reads the migrations of a folder, ordered by version. */
export async function readMigrations(folder: string | URL): Promise<Migration[]> {
  // fileURLToPath, not URL.pathname: a checkout path may hold spaces or other escaped characters.
  const dir = typeof folder === "string" ? folder : fileURLToPath(folder);
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const match = fileName.exec(file);
    if (match === null) throw new Error(`migration file name must look like 0001_name.sql: ${file}`);
    const sql = await readFile(join(dir, file), "utf8");
    migrations.push({
      version: Number(match[1]),
      name: match[2] as string,
      file,
      sql,
      checksum: createHash("sha256").update(sql).digest("hex"),
    });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration version in ${dir}`);
  return migrations;
}

/** Applies the migrations not yet applied; returns the versions it applied. */
export async function migrate(sql: Sql, migrations: readonly Migration[]): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('skyros.schema_migrations'))`;
    await tx`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    const applied = new Map<number, string>();
    for (const row of await tx<
      { version: number; checksum: string }[]
    >`select version, checksum from schema_migrations`) {
      applied.set(row.version, row.checksum);
    }
    const done: number[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.file ?? migration.name} changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (version, name, checksum)
               values (${migration.version}, ${migration.name}, ${migration.checksum})`;
      done.push(migration.version);
    }
    return done;
  });
}
