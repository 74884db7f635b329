import type { PgStoreMigration } from "./migration.js";

/**
 * The op log. `id` is the server order (last-writer-wins); the two UNIQUE
 * constraints back idempotency and per-device Lamport monotonicity; the
 * `(user_id, id)` index serves pulls, the head lookup and compaction.
 */
export const syncOpMigration: PgStoreMigration = {
  version: 1,
  name: "sync_op",
  sql: `
CREATE TABLE sync_op (
  id           BIGSERIAL PRIMARY KEY,
  user_id      UUID        NOT NULL,
  device_id    UUID        NOT NULL,
  operation_id UUID        NOT NULL,
  entity_type  TEXT        NOT NULL,
  entity_id    TEXT        NOT NULL,
  op           TEXT        NOT NULL,
  field        TEXT,
  value        JSONB,
  lamport_ts   BIGINT      NOT NULL,
  wall_clock   TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT sync_op_op_check CHECK (
    (op = 'upsert' AND field IS NOT NULL AND value IS NOT NULL)
    OR (op = 'delete' AND field IS NULL AND value IS NULL)
  ),
  CONSTRAINT sync_op_operation_id_key UNIQUE (user_id, device_id, operation_id),
  CONSTRAINT sync_op_lamport_ts_key UNIQUE (user_id, device_id, lamport_ts)
);
CREATE INDEX sync_op_user_id_id_idx ON sync_op (user_id, id);
`,
};
