import type { PgStoreMigration } from "./migration.js";

/**
 * One cursor per device: the highest op id it acknowledged and when it last
 * acknowledged anything. The `(user_id, last_seen_at, last_seen_id)` index
 * serves compaction's MIN over fresh devices.
 */
export const deviceSyncCursorMigration: PgStoreMigration = {
  version: 2,
  name: "device_sync_cursor",
  sql: `
CREATE TABLE device_sync_cursor (
  user_id      UUID        NOT NULL,
  device_id    UUID        NOT NULL,
  last_seen_id BIGINT      NOT NULL CHECK (last_seen_id >= 0),
  last_seen_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE INDEX device_sync_cursor_freshness_idx
  ON device_sync_cursor (user_id, last_seen_at, last_seen_id);
`,
};
