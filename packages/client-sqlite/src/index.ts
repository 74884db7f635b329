export { type Migration, migrate, SchemaTooNewError } from "./migrate.js";
export { MIGRATIONS } from "./migrations/index.js";
export { SqliteClientStore, type SqliteClientStoreOptions } from "./sqlite-store.js";
