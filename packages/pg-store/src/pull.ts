import { MAX_PAGE_VALUE_BYTES } from "@syncline/protocol";
import { type EncodedPullPage, resyncRequired } from "@syncline/server-core";
import type { Queryable } from "./queryable.js";
import { storedOpJson } from "./rows.js";

/**
 * One statement, so the watermark and the page come from one snapshot: a
 * compaction committing in between cannot slip a collapsed range past the
 * guard. Returns one row: the watermark, and (unless refused) the page built
 * by PostgreSQL as the text of a JSON array (`ops`, NULL when empty), how
 * many ops it holds and how many rows were read. At most `$3 - 1` ops are
 * kept, and the page is cut after the op whose value takes the page's value
 * bytes to `$5` (R20); reading one row more than is kept tells whether more
 * follow.
 */
const PULL_SQL = `
SELECT w.compacted_up_to, p.ops, coalesce(p.kept, 0) AS kept, coalesce(p.fetched, 0) AS fetched
FROM (
  SELECT coalesce(
    (SELECT compacted_up_to FROM sync_compaction_watermark WHERE user_id = $1), 0
  ) AS compacted_up_to
) w
LEFT JOIN LATERAL (
  SELECT
    string_agg(${storedOpJson("sized")}::text, ',' ORDER BY sized.id) FILTER (WHERE sized.kept) AS ops,
    count(*) FILTER (WHERE sized.kept) AS kept,
    count(*) AS fetched
  FROM (
    SELECT page.*,
      row_number() OVER (ORDER BY page.id) < $3
        AND sum(page.value_bytes) OVER (ORDER BY page.id) - page.value_bytes < $5 AS kept
    FROM (
      SELECT *, coalesce(octet_length(value::text), 0) AS value_bytes FROM sync_op
      WHERE user_id = $1 AND id > $2 AND ($4 OR NOT ($2 > 0 AND $2 < w.compacted_up_to))
      ORDER BY id
      LIMIT $3
    ) page
  ) sized
) p ON true`;

interface PullRow {
  compacted_up_to: string;
  ops: string | null;
  kept: string;
  fetched: string;
}

/**
 * Ops of `userId` with `id > since`, ascending, at most `limit` and at most
 * about `maxValueBytes` of values (the op that crosses it is the page's last;
 * the first op always comes), and whether more follow, encoded as the wire's
 * JSON by PostgreSQL. Reads only; never writes a cursor.
 * @param resync the page continues a pull that began at `since = 0`: no guard
 * @throws {SyncError} `resync_required` when `since > 0` and `since < compacted_up_to` (unless `resync`)
 */
export async function pullOps(
  db: Queryable,
  userId: string,
  since: number,
  limit: number,
  resync = false,
  maxValueBytes: number = MAX_PAGE_VALUE_BYTES,
): Promise<EncodedPullPage> {
  const { rows } = await db.query<PullRow>(PULL_SQL, [
    userId,
    since,
    limit + 1,
    resync,
    maxValueBytes,
  ]);
  const row = rows[0]!;
  const compactedUpTo = Number(row.compacted_up_to);
  if (!resync && since > 0 && since < compactedUpTo) {
    throw resyncRequired(since, compactedUpTo);
  }
  const count = Number(row.kept);
  return { ops: `[${row.ops ?? ""}]`, count, has_more: count < Number(row.fetched) };
}
