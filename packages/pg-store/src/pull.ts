import { MAX_PAGE_VALUE_BYTES, type PullResponse } from "@syncline/protocol";
import { resyncRequired } from "@syncline/server-core";
import type { Queryable } from "./queryable.js";
import { type OpRow, opColumns, toStoredOp } from "./rows.js";

/**
 * One statement, so the watermark and the page come from one snapshot: a
 * compaction committing in between cannot slip a collapsed range past the
 * guard. Returns one row with the watermark even when the page is empty (or
 * refused); `o.id` is then null. The page is cut after the op whose value
 * takes the page's value bytes to `$5` (R20): each row says how many rows
 * were read (`fetched`), so a cut page still reports `has_more`.
 */
const PULL_SQL = `
SELECT w.compacted_up_to, o.*
FROM (
  SELECT coalesce(
    (SELECT compacted_up_to FROM sync_compaction_watermark WHERE user_id = $1), 0
  ) AS compacted_up_to
) w
LEFT JOIN LATERAL (
  SELECT * FROM (
    SELECT page.*,
      count(*) OVER () AS fetched,
      sum(page.value_bytes) OVER (ORDER BY page.id) - page.value_bytes AS bytes_before
    FROM (
      SELECT ${opColumns()}, coalesce(octet_length(value::text), 0) AS value_bytes FROM sync_op
      WHERE user_id = $1 AND id > $2 AND ($4 OR NOT ($2 > 0 AND $2 < w.compacted_up_to))
      ORDER BY id
      LIMIT $3
    ) page
  ) sized
  WHERE sized.bytes_before < $5
) o ON true
ORDER BY o.id`;

type PullRow = Omit<OpRow, "id"> & {
  compacted_up_to: string;
  id: string | null;
  fetched: string | null;
};

/**
 * Ops of `userId` with `id > since`, ascending, at most `limit` and at most
 * about `maxValueBytes` of values (the op that crosses it is the page's last;
 * the first op always comes), and whether more follow. Reads only; never
 * writes a cursor.
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
): Promise<PullResponse> {
  const { rows } = await db.query<PullRow>(PULL_SQL, [
    userId,
    since,
    limit + 1,
    resync,
    maxValueBytes,
  ]);
  const compactedUpTo = Number(rows[0]!.compacted_up_to);
  if (!resync && since > 0 && since < compactedUpTo) {
    throw resyncRequired(since, compactedUpTo);
  }
  const ops = [];
  for (const row of rows) {
    if (row.id !== null) ops.push(toStoredOp({ ...row, id: row.id }));
  }
  const fetched = Number(rows[0]!.fetched ?? 0);
  const hasMore = ops.length > limit || ops.length < fetched;
  if (ops.length > limit) ops.pop();
  return { ops, has_more: hasMore };
}
