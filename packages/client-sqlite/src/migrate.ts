import type { Database } from "better-sqlite3";

/** One versioned step of the schema. */
export interface SqliteStoreMigration {
  /** 1, 2, 3, …: one more than the previous migration. */
  readonly version: number;
  /** Short label, recorded with the version. */
  readonly name: string;
  /** Applies the step; runs inside a transaction with the version bookkeeping. */
  up(db: Database): void;
}

/** The database was written by a newer release than this one: refuse rather than misread it. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  /** Discriminant for callers that switch on errors. */
  readonly type = "schema_too_new";
  /** Version found in the database. */
  readonly found: number;
  /** Newest version this release knows. */
  readonly known: number;

  constructor(found: number, known: number) {
    super(`the database has schema version ${found}; this release knows up to ${known}`);
    this.found = found;
    this.known = known;
  }
}

/**
 * Brings the schema up to the newest of `migrations`, each step in its own
 * `BEGIN IMMEDIATE` transaction (so two processes opening the same file at
 * once apply each step once), recorded in `syncline_migration`.
 * @returns the schema version now in the database
 * @throws SchemaTooNewError when the database is newer than `migrations`
 */
export function migrateSqliteStore(
  db: Database,
  migrations: readonly SqliteStoreMigration[],
): number {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new RangeError(
        `migration ${migration.name} has version ${migration.version}, expected ${i + 1}`,
      );
    }
  });
  db.exec(`
    CREATE TABLE IF NOT EXISTS syncline_migration (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    ) STRICT
  `);
  const current = db
    .prepare("SELECT coalesce(max(version), 0) FROM syncline_migration")
    .pluck()
    .safeIntegers(false);
  const record = db.prepare(
    "INSERT INTO syncline_migration (version, name, applied_at) VALUES (?, ?, ?)",
  );
  const step = db.transaction((migration: SqliteStoreMigration) => {
    if ((current.get() as number) >= migration.version) return;
    migration.up(db);
    record.run(migration.version, migration.name, new Date().toISOString());
  });
  const found = current.get() as number;
  if (found > migrations.length) throw new SchemaTooNewError(found, migrations.length);
  for (const migration of migrations.slice(found)) step.immediate(migration);
  return current.get() as number;
}
