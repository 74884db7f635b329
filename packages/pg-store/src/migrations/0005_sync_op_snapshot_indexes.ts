import type { PgStoreMigration } from "./migration.js";

/**
 * What a snapshot page (R72) reads instead of the history: the names compare
 * byte-wise (`COLLATE "C"`, the server's key order, and a collation change
 * that rewrites no row), one partial index of upserts by (entity, field, id)
 * that finds each field's winner and the next field in one probe each, and
 * one of deletes by (entity, id) that finds an entity's tombstone in one.
 * Together they hold one entry per op, as one full index would.
 */
export const syncOpSnapshotIndexesMigration: PgStoreMigration = {
  version: 5,
  name: "sync_op_snapshot_indexes",
  sql: `
ALTER TABLE sync_op
  ALTER COLUMN entity_type TYPE TEXT COLLATE "C",
  ALTER COLUMN entity_id TYPE TEXT COLLATE "C",
  ALTER COLUMN field TYPE TEXT COLLATE "C";
CREATE INDEX sync_op_field_winner_idx
  ON sync_op (user_id, entity_type, entity_id, field, id) WHERE op = 'upsert';
CREATE INDEX sync_op_tombstone_idx
  ON sync_op (user_id, entity_type, entity_id, id) WHERE op = 'delete';
`,
};
