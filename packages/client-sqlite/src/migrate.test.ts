import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { migrateSqliteStore, SchemaTooNewError, type SqliteStoreMigration } from "./migrate.js";
import { SQLITE_STORE_MIGRATIONS } from "./migrations/index.js";
import { SqliteClientStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "syncline-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const versions = (db: Sqlite.Database) =>
  db.prepare("SELECT version, name FROM syncline_migration ORDER BY version").all();

describe("migrate", () => {
  it("applies every migration once, and nothing on a second open", () => {
    const path = join(dir, "once.db");
    new SqliteClientStore(path).close();
    new SqliteClientStore(path).close();
    const db = new Sqlite(path);
    expect(versions(db)).toEqual(
      SQLITE_STORE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    db.close();
  });

  it("applies only the newer migrations to an older file", () => {
    const path = join(dir, "older.db");
    new SqliteClientStore(path).close();
    const db = new Sqlite(path);
    db.prepare("INSERT INTO syncline_setting (key, value) VALUES ('lamport', 9)").run();
    const next: SqliteStoreMigration = {
      version: SQLITE_STORE_MIGRATIONS.length + 1,
      name: "add-note-index",
      up: (d) => d.exec("CREATE INDEX syncline_field_id ON syncline_field (id)"),
    };
    expect(migrateSqliteStore(db, [...SQLITE_STORE_MIGRATIONS, next])).toBe(
      SQLITE_STORE_MIGRATIONS.length + 1,
    );
    expect(migrateSqliteStore(db, [...SQLITE_STORE_MIGRATIONS, next])).toBe(
      SQLITE_STORE_MIGRATIONS.length + 1,
    );
    expect(versions(db)).toHaveLength(SQLITE_STORE_MIGRATIONS.length + 1);
    expect(db.prepare("SELECT value FROM syncline_setting").pluck().get()).toBe(9);
    db.close();
  });

  it("rolls back a failing migration with its bookkeeping", () => {
    const db = new Sqlite(join(dir, "failing.db"));
    const broken: SqliteStoreMigration = {
      version: SQLITE_STORE_MIGRATIONS.length + 1,
      name: "broken",
      up: (d) => {
        d.exec("CREATE TABLE half_done (x INTEGER)");
        throw new Error("step failed");
      },
    };
    expect(() => migrateSqliteStore(db, [...SQLITE_STORE_MIGRATIONS, broken])).toThrow(
      "step failed",
    );
    expect(versions(db)).toHaveLength(SQLITE_STORE_MIGRATIONS.length);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get(),
    ).toBeUndefined();
    db.close();
  });

  it("refuses a file from a newer release, and misnumbered migrations", () => {
    const path = join(dir, "newer.db");
    const db = new Sqlite(path);
    migrateSqliteStore(db, SQLITE_STORE_MIGRATIONS);
    db.prepare("INSERT INTO syncline_migration VALUES (?, 'future', 'x')").run(
      SQLITE_STORE_MIGRATIONS.length + 1,
    );
    db.close();
    expect(() => new SqliteClientStore(path)).toThrow(SchemaTooNewError);
    const other = new Sqlite(join(dir, "misnumbered.db"));
    expect(() =>
      migrateSqliteStore(other, [{ ...SQLITE_STORE_MIGRATIONS[0]!, version: 2 }]),
    ).toThrow(RangeError);
    other.close();
  });
});
