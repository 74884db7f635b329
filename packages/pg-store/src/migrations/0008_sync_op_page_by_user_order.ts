import type { PgStoreMigration } from "./migration.js";

/**
 * `sync_op_page` (migration 7) reads the page by row comparisons on
 * `(user_id, id)`, ordered by both. A SQL function plans its body for any
 * user, so the planner judged `user_id = p_user` by the table's share per
 * user: with few users in the log that share looks large, and it chose the
 * primary key in id order with a filter on the user, reading every other
 * user's ops above `since` to find the page (measured 13–22 ms for an empty
 * page beside a 100,000-op user, against 0.03–0.23 ms; a small self-hosted
 * server has few users). Row comparisons keep `user_id` out of the planner's
 * constants, so the order `(user_id, id)` stays whole, and only
 * `sync_op_user_id_id_idx` gives it; with sorts off too (another index on
 * `user_id` plus a sort was the next choice), that index scan, bounded by the
 * two comparisons to the user's ops above `since`, is the only plan left.
 * Same rows, same order, same limit.
 */
export const syncOpPageByUserOrderMigration: PgStoreMigration = {
  version: 8,
  name: "sync_op_page_by_user_order",
  sql: `
CREATE OR REPLACE FUNCTION sync_op_page(p_user uuid, p_since bigint, p_limit bigint)
RETURNS SETOF sync_op LANGUAGE sql STABLE
SET enable_bitmapscan = off SET enable_sort = off SET enable_incremental_sort = off AS $fn$
  SELECT * FROM sync_op
  WHERE (user_id, id) > (p_user, p_since) AND (user_id, id) <= (p_user, 9223372036854775807)
  ORDER BY user_id, id LIMIT p_limit
$fn$;
`,
};
