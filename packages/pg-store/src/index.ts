export {
  type CompactionHooks,
  type CompactionReport,
  type CompactOptions,
  type CompactUserOptions,
  DEFAULT_STALE_AFTER_MS,
  type PendingAck,
  type UserCompaction,
} from "./compact.js";
export { type MigrateResult, migrate } from "./migrate.js";
export { MIGRATIONS } from "./migrations/all.js";
export type { Migration } from "./migrations/migration.js";
export { type NotificationHandler, PgNotifier, type PgNotifierOptions } from "./notifier.js";
export { PUSH_CHANNEL, type PushNotice, PushNoticeSchema } from "./push-notice.js";
export { PgSyncStore, type PgSyncStoreOptions, type PullOptions } from "./store.js";
