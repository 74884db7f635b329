import { syncOpMigration } from "./0001_sync_op.js";
import { deviceSyncCursorMigration } from "./0002_device_sync_cursor.js";
import { syncCompactionWatermarkMigration } from "./0003_sync_compaction_watermark.js";
import { syncOpRetiredMigration } from "./0004_sync_op_retired.js";
import { syncOpSnapshotIndexesMigration } from "./0005_sync_op_snapshot_indexes.js";
import { syncPushNewOpsMigration } from "./0006_sync_push_new_ops.js";
import { syncOpPageMigration } from "./0007_sync_op_page.js";
import { syncOpPageByUserOrderMigration } from "./0008_sync_op_page_by_user_order.js";
import { syncUserHeadMigration } from "./0009_sync_user_head.js";
import { syncOpPagePlpgsqlMigration } from "./0010_sync_op_page_plpgsql.js";
import { syncOpRetiredContentHashMigration } from "./0011_sync_op_retired_content_hash.js";
import type { PgStoreMigration } from "./migration.js";

/** Every migration shipped with the package, in version order. */
export const PG_STORE_MIGRATIONS: readonly PgStoreMigration[] = [
  syncOpMigration,
  deviceSyncCursorMigration,
  syncCompactionWatermarkMigration,
  syncOpRetiredMigration,
  syncOpSnapshotIndexesMigration,
  syncPushNewOpsMigration,
  syncOpPageMigration,
  syncOpPageByUserOrderMigration,
  syncUserHeadMigration,
  syncOpPagePlpgsqlMigration,
  syncOpRetiredContentHashMigration,
];
