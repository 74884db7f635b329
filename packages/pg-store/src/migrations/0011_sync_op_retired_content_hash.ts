import type { PgStoreMigration } from "./migration.js";

/**
 * `sync_op_retired.content_hash`: the content of each op compaction removes
 * as a 64-bit `hash_record_extended` of the row (`contentHash`), which
 * compaction now writes instead of `content_md5`. The MD5 of the content's
 * JSONB text was a quarter of the cost of removing the ops: the slices of a
 * million-op log (900,000 removed) took 13.0 s with it and 9.6 s with the
 * hash (measured; the plain DELETE of the same slices 2.2 s). Rows retired before keep their
 * MD5 and are checked by it (`content_md5` is NULL from now on), so a late
 * retry of them is answered as before. Adding a nullable column and
 * dropping a `NOT NULL` rewrite no row of the table.
 */
export const syncOpRetiredContentHashMigration: PgStoreMigration = {
  version: 11,
  name: "sync_op_retired_content_hash",
  sql: `
ALTER TABLE sync_op_retired
  ADD COLUMN content_hash BIGINT,
  ALTER COLUMN content_md5 DROP NOT NULL;
`,
};
