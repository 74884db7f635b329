import type { PgStoreMigration } from "./migration.js";

/**
 * `sync_op_page(user, since, limit)`: the user's ops with `id > since` in id
 * order, at most `limit`, always read in index order from
 * `sync_op_user_id_id_idx` and stopped at the limit. Statistics older than a
 * user's log (a user whose log grew since the last ANALYZE) make the planner
 * expect a few rows and prefer a bitmap scan that reads and sorts ALL of the
 * user's ops above `since` for every page: measured 20–45 ms instead of
 * 0.4 ms for a page of 1,000 from a 100,000-op log, so a catch-up cost
 * grew with the square of the log. The function's own `enable_bitmapscan =
 * off` leaves the planner the ordered index scan (the alternative, a
 * sequential scan of the table and a sort, never wins).
 */
export const syncOpPageMigration: PgStoreMigration = {
  version: 7,
  name: "sync_op_page",
  sql: `
CREATE FUNCTION sync_op_page(p_user uuid, p_since bigint, p_limit bigint)
RETURNS SETOF sync_op LANGUAGE sql STABLE
SET enable_bitmapscan = off AS $fn$
  SELECT * FROM sync_op WHERE user_id = p_user AND id > p_since ORDER BY id LIMIT p_limit
$fn$;
`,
};
