export { migrateSqliteStore, SchemaTooNewError, type SqliteStoreMigration } from "./migrate.js";
export { SQLITE_STORE_MIGRATIONS } from "./migrations/index.js";
export { SqliteClientStore, type SqliteClientStoreOptions } from "./sqlite-store.js";
