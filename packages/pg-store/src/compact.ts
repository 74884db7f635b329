import {
  type CompactionReport,
  type CompactOptions,
  type CompactUserOptions,
  DEFAULT_STALE_AFTER_MS,
  type UserCompaction,
} from "@syncline/server-core";
import type pg from "pg";
import { lockUser } from "./locks.js";
import type { Queryable } from "./queryable.js";
import { contentMd5 } from "./rows.js";
import { withTransaction } from "./transaction.js";

/**
 * MIN over the fresh devices of the user, stored cursors merged with pending
 * ACKs. Stored cursors are read through the `(user_id, last_seen_at,
 * last_seen_id)` index, plus the rows of the devices with a pending ACK (a
 * stale stored row may be refreshed by one). Also the current watermark.
 */
const MIN_SQL = `
WITH cursors AS (
  SELECT device_id, last_seen_id, last_seen_at FROM device_sync_cursor
  WHERE user_id = $1 AND last_seen_at >= $5
  UNION ALL
  SELECT device_id, last_seen_id, last_seen_at FROM device_sync_cursor
  WHERE user_id = $1 AND device_id = ANY($2::uuid[])
  UNION ALL
  SELECT * FROM unnest($2::uuid[], $3::bigint[], $4::timestamptz[])
),
merged AS (
  SELECT device_id, max(last_seen_id) AS last_seen_id, max(last_seen_at) AS last_seen_at
  FROM cursors GROUP BY device_id
)
SELECT
  (SELECT min(last_seen_id) FROM merged WHERE last_seen_at >= $5) AS min_id,
  coalesce(
    (SELECT compacted_up_to FROM sync_compaction_watermark WHERE user_id = $1), 0
  ) AS compacted_up_to`;

/**
 * Below `$2`, keeps per (entity_type, entity_id, field) only the op with the
 * highest id, where deletes (field NULL) form their entity's own group, so
 * only the newest delete survives; then drops the field ops older than that
 * surviving delete, as the reducer's tombstone rule hides them anyway. Every
 * removed op is remembered in `sync_op_retired` by the same statement (R68),
 * so a late retry of it is answered as a duplicate, never stored again.
 */
const COLLAPSE_SQL = `
WITH doomed AS (
  SELECT id FROM (
    SELECT id, op,
      row_number() OVER (PARTITION BY entity_type, entity_id, field ORDER BY id DESC) AS rank,
      max(id) FILTER (WHERE op = 'delete') OVER (PARTITION BY entity_type, entity_id) AS tombstone_id
    FROM sync_op
    WHERE user_id = $1 AND id < $2
  ) ranked
  WHERE rank > 1 OR (op = 'upsert' AND id < tombstone_id)
),
removed AS (
  DELETE FROM sync_op s
  USING doomed
  WHERE s.user_id = $1 AND s.id = doomed.id
  RETURNING s.user_id, s.device_id, s.operation_id, s.id, s.lamport_ts, s.wall_clock, ${contentMd5("s")} AS content_md5
)
INSERT INTO sync_op_retired (user_id, device_id, operation_id, id, lamport_ts, wall_clock, content_md5)
SELECT user_id, device_id, operation_id, id, lamport_ts, wall_clock, content_md5 FROM removed`;

/** Raises the watermark (`updated_at` = the run's `now`); GREATEST keeps it from ever moving down. */
const WATERMARK_SQL = `
INSERT INTO sync_compaction_watermark AS w (user_id, compacted_up_to, updated_at)
VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET
  compacted_up_to = GREATEST(w.compacted_up_to, EXCLUDED.compacted_up_to),
  updated_at = EXCLUDED.updated_at`;

/** The oldest `last_seen_at` that still counts as fresh. */
function cutoff(now: Date, staleAfterMs = DEFAULT_STALE_AFTER_MS): Date {
  return new Date(now.getTime() - staleAfterMs);
}

/**
 * Compacts one user's log in ONE transaction, holding the user's push lock:
 * computes the MIN cursor of the fresh devices, collapses the ops below it
 * and raises the watermark to it. Deletes and watermark commit together or
 * not at all.
 * @returns what changed, or `undefined` when the user was left alone (no
 * fresh device, or nothing above the current watermark)
 */
export function compactUser(
  pool: pg.Pool,
  userId: string,
  options: CompactUserOptions = {},
): Promise<UserCompaction | undefined> {
  const now = options.now ?? new Date();
  const pending = (options.pendingAcks ?? []).filter((ack) => ack.userId === userId);
  return withTransaction(pool, async (client) => {
    await lockUser(client, userId);
    const { rows } = await client.query<{ min_id: string | null; compacted_up_to: string }>(
      MIN_SQL,
      [
        userId,
        pending.map((ack) => ack.deviceId),
        pending.map((ack) => ack.lastSeenId),
        pending.map((ack) => ack.at),
        cutoff(now, options.staleAfterMs),
      ],
    );
    const previous = Number(rows[0]!.compacted_up_to);
    if (rows[0]!.min_id === null) return undefined;
    const min = Number(rows[0]!.min_id);
    if (min <= previous) return undefined;
    const collapsed = await client.query(COLLAPSE_SQL, [userId, min]);
    await client.query(WATERMARK_SQL, [userId, min, now]);
    return {
      userId,
      previousCompactedUpTo: previous,
      compactedUpTo: min,
      deleted: collapsed.rowCount ?? 0,
    };
  });
}

/** Users with a fresh stored cursor, then those only a pending ACK names. */
async function candidateUsers(
  db: Queryable,
  now: Date,
  options: CompactUserOptions,
): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    "SELECT DISTINCT user_id FROM device_sync_cursor WHERE last_seen_at >= $1 ORDER BY user_id",
    [cutoff(now, options.staleAfterMs)],
  );
  const users = new Set(rows.map((row) => row.user_id));
  for (const ack of options.pendingAcks ?? []) users.add(ack.userId);
  return [...users];
}

/**
 * Runs {@link compactUser} for each user, each in its own transaction, all
 * judged against the same `now`.
 */
export async function compactAll(
  pool: pg.Pool,
  options: CompactOptions = {},
): Promise<CompactionReport> {
  const run = { ...options, now: options.now ?? new Date() };
  const users: UserCompaction[] = [];
  let deleted = 0;
  for (const userId of options.userIds ?? (await candidateUsers(pool, run.now, run))) {
    const done = await compactUser(pool, userId, run);
    if (!done) continue;
    users.push(done);
    deleted += done.deleted;
  }
  return { users, deleted };
}
