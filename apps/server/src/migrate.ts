import { migratePgStore } from "@syncline/pg-store";
import type pg from "pg";
import { migrateAccounts } from "./auth/accounts.js";
import type { ServerConfig } from "./config.js";

/**
 * Brings the database up to date: the op log's migrations, then Better
 * Auth's tables, unless tokens come from another issuer (`SYNCLINE_JWKS_URL`:
 * the server's own accounts are off).
 * @returns what the op log's migrations applied, and whether the accounts' tables are in use
 */
export async function migrateServer(pool: pg.Pool, config: Pick<ServerConfig, "jwksUrl">) {
  const store = await migratePgStore(pool);
  const accounts = config.jwksUrl === undefined;
  if (accounts) await migrateAccounts(pool);
  return { ...store, accounts };
}
