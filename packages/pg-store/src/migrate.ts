import type pg from "pg";
import { MIGRATION_LOCK_KEY } from "./locks.js";
import { PG_STORE_MIGRATIONS } from "./migrations/all.js";
import type { PgStoreMigration } from "./migrations/migration.js";
import { inTransaction, withClient } from "./transaction.js";

/** What one {@link migratePgStore} call did. */
export interface MigrateResult {
  /** Versions this call applied, ascending; empty when the schema was already current. */
  readonly applied: number[];
}

/**
 * Brings the database schema up to date with the migrations shipped in this
 * package, recording each applied version in `syncline_migration`.
 * Idempotent, and safe when several processes call it at once: they take
 * turns on a session advisory lock, and each migration commits together with
 * its record.
 * @param migrations the history to apply; defaults to the package's own
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migratePgStore(pool);
 */
export function migratePgStore(
  pool: pg.Pool,
  migrations: readonly PgStoreMigration[] = PG_STORE_MIGRATIONS,
): Promise<MigrateResult> {
  return withClient(pool, async (client) => {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS syncline_migration (
        version    INTEGER     PRIMARY KEY,
        name       TEXT        NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number }>(
        "SELECT version FROM syncline_migration",
      );
      const done = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await inTransaction(client, async () => {
          await client.query(migration.sql);
          await client.query("INSERT INTO syncline_migration (version, name) VALUES ($1, $2)", [
            migration.version,
            migration.name,
          ]);
        });
        applied.push(migration.version);
      }
      return { applied };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  });
}
