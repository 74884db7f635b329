import type { PgStoreMigration } from "./migration.js";

/**
 * What compaction keeps of each op it removes (R68): enough to answer a late
 * retry of that `operation_id` as the duplicate it is, with the op's original
 * `id`, `lamport_ts` and `wall_clock`, and to check the retry's content
 * against the op's (`content_md5`: the MD5 of its canonical JSONB content,
 * see `contentMd5`; replaced by `content_hash` in migration 11), without
 * keeping the value itself.
 */
export const syncOpRetiredMigration: PgStoreMigration = {
  version: 4,
  name: "sync_op_retired",
  sql: `
CREATE TABLE sync_op_retired (
  user_id      UUID        NOT NULL,
  device_id    UUID        NOT NULL,
  operation_id UUID        NOT NULL,
  id           BIGINT      NOT NULL,
  lamport_ts   BIGINT      NOT NULL,
  wall_clock   TIMESTAMPTZ NOT NULL,
  content_md5  UUID        NOT NULL,
  PRIMARY KEY (user_id, device_id, operation_id)
);
`,
};
