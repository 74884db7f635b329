import type { SqliteStoreMigration } from "../migrate.js";
import { initial } from "./0001-initial.js";

/** Every migration of the store's schema, oldest first. Append; never edit a shipped one. */
export const SQLITE_STORE_MIGRATIONS: readonly SqliteStoreMigration[] = [initial];
