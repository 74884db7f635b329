export { type MigrateResult, migrate } from "./migrate.js";
export { MIGRATIONS } from "./migrations/all.js";
export type { Migration } from "./migrations/migration.js";
export { type NotificationHandler, PgNotifier, type PgNotifierOptions } from "./notifier.js";
export { PUSH_CHANNEL, PushNoticeSchema } from "./push-notice.js";
export { PgSyncStore, type PgSyncStoreOptions, type PullOptions } from "./store.js";
