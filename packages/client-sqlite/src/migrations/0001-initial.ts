import type { SqliteStoreMigration } from "../migrate.js";

/**
 * Version 1: settings (device id, Lamport counter, cursor), the pending-op
 * queue, and the op-derived server state (fields and entity tombstones).
 */
export const initial: SqliteStoreMigration = {
  version: 1,
  name: "initial",
  up(db) {
    db.exec(`
      CREATE TABLE syncline_setting (
        key TEXT PRIMARY KEY,
        value ANY NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE syncline_pending (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        operation_id TEXT NOT NULL UNIQUE,
        lamport_ts INTEGER NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        field TEXT,
        value TEXT,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        CHECK ((op = 'upsert') = (field IS NOT NULL AND value IS NOT NULL))
      ) STRICT;
      CREATE INDEX syncline_pending_state ON syncline_pending (state, seq);
      CREATE INDEX syncline_pending_entity ON syncline_pending (entity_type, entity_id, seq);

      CREATE TABLE syncline_field (
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        id INTEGER NOT NULL,
        PRIMARY KEY (entity_type, entity_id, field)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE syncline_tombstone (
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        id INTEGER NOT NULL,
        PRIMARY KEY (entity_type, entity_id)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
