export {
  COMPACTION_SLICE_OPS,
  type CompactionSlice,
  type PgCompactOptions,
  type PgCompactUserOptions,
  SUPERSEDED_OPS_SQL,
} from "./compact.js";
export {
  answerFlushRequests,
  type CompactionOutcome,
  FLUSH_DONE_CHANNEL,
  FLUSH_REQUEST_CHANNEL,
  type RunCompactionOptions,
  requestAckFlush,
  runCompaction,
  SERVER_LISTENER_NAME,
} from "./compaction-run.js";
export { EMBEDDED_SERVE_LOCK_KEY } from "./locks.js";
export { type MigrateResult, migratePgStore } from "./migrate.js";
export { PG_STORE_MIGRATIONS } from "./migrations/all.js";
export type { PgStoreMigration } from "./migrations/migration.js";
export { type NotificationHandler, PgNotifier, type PgNotifierOptions } from "./notifier.js";
export { PUSH_CHANNEL, PushNoticeSchema } from "./push-notice.js";
export { PgSyncStore, type PgSyncStoreOptions, type PullOptions } from "./store.js";
