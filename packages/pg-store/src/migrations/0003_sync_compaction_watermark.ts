import type { PgStoreMigration } from "./migration.js";

/** Per user: ops with `id` below `compacted_up_to` have been collapsed. */
export const syncCompactionWatermarkMigration: PgStoreMigration = {
  version: 3,
  name: "sync_compaction_watermark",
  sql: `
CREATE TABLE sync_compaction_watermark (
  user_id         UUID        PRIMARY KEY,
  compacted_up_to BIGINT      NOT NULL CHECK (compacted_up_to >= 0),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
};
