import {
  type CompactionReport,
  type CompactOptions,
  type CompactUserOptions,
  DEFAULT_STALE_AFTER_MS,
  type UserCompaction,
} from "@syncline/server-core";
import type pg from "pg";
import { beginLockedByUser } from "./locks.js";
import type { Queryable } from "./queryable.js";
import { contentHash } from "./rows.js";
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
 * SQL of R59's collapse: the ids (one column, `id`, in no order) of user
 * `$1`'s ops below `$2` that compaction removes. Per (entity_type,
 * entity_id, field) only the op with the highest id survives, where deletes
 * form their entity's own group, so only the newest delete survives; then
 * the upserts older than that surviving delete go too, as the reducer's
 * tombstone rule hides them anyway.
 *
 * An op is superseded when its group has a next op (`lead(id)`) below `$2`.
 * Upserts and deletes are ranked apart, each in the order of its partial
 * index of migration 5 (`(user_id, entity_type, entity_id, field, id)` for
 * upserts, `(user_id, entity_type, entity_id, id)` for deletes), so the
 * window reads each index in order instead of sorting the user's log:
 * 1.0–1.2 s for a million ops against 2.7–2.9 s for one window over both
 * kinds ranked by `id DESC` (measured). A subquery: the bench's raw DELETE
 * removes the same rows through it.
 */
export const SUPERSEDED_OPS_SQL = `
WITH upserts AS (
  SELECT id, entity_type, entity_id,
    lead(id) OVER (PARTITION BY entity_type, entity_id, field ORDER BY id) AS next_id
  FROM sync_op
  WHERE user_id = $1 AND op = 'upsert' AND id < $2
),
deletes AS (
  SELECT id, entity_type, entity_id,
    lead(id) OVER (PARTITION BY entity_type, entity_id ORDER BY id) AS next_id
  FROM sync_op
  WHERE user_id = $1 AND op = 'delete' AND id < $2
),
tombstones AS (
  SELECT entity_type, entity_id, id AS tombstone_id FROM deletes WHERE next_id IS NULL
)
SELECT u.id FROM upserts u LEFT JOIN tombstones t USING (entity_type, entity_id)
WHERE u.next_id IS NOT NULL OR u.id < t.tombstone_id
UNION ALL
SELECT id FROM deletes WHERE next_id IS NOT NULL`;

/**
 * The ids of the ops to remove below `$2` ({@link SUPERSEDED_OPS_SQL}),
 * ascending and comma-separated in ONE text value (NULL when there are
 * none), and how many. Only these ids are sorted.
 */
const DOOMED_SQL = `
SELECT string_agg(id::text, ',' ORDER BY id) AS ids, count(*) AS doomed
FROM (${SUPERSEDED_OPS_SQL}) doomed`;

/**
 * Removes the ops of user `$1` whose ids the array literal `$2` lists, and
 * remembers each in `sync_op_retired` in the same statement (R68), so a late
 * retry of it is answered as a duplicate, never stored again.
 */
const REMOVE_SQL = `
WITH removed AS (
  DELETE FROM sync_op s
  WHERE s.user_id = $1 AND s.id = ANY($2::bigint[])
  RETURNING s.user_id, s.device_id, s.operation_id, s.id, s.lamport_ts, s.wall_clock, ${contentHash("s")} AS content_hash
)
INSERT INTO sync_op_retired (user_id, device_id, operation_id, id, lamport_ts, wall_clock, content_hash)
SELECT user_id, device_id, operation_id, id, lamport_ts, wall_clock, content_hash FROM removed`;

/**
 * Raises the watermark (`updated_at` = the run's `now`) and returns it;
 * GREATEST keeps it from ever moving down.
 */
const WATERMARK_SQL = `
INSERT INTO sync_compaction_watermark AS w (user_id, compacted_up_to, updated_at)
VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET
  compacted_up_to = GREATEST(w.compacted_up_to, EXCLUDED.compacted_up_to),
  updated_at = EXCLUDED.updated_at
RETURNING compacted_up_to`;

/** The oldest `last_seen_at` that still counts as fresh. */
function cutoff(now: Date, staleAfterMs = DEFAULT_STALE_AFTER_MS): Date {
  return new Date(now.getTime() - staleAfterMs);
}

/**
 * How many ops one slice of a user's compaction removes by default: one short
 * transaction holding the user's push lock (a few tens of milliseconds), so
 * the user's pushes wait for at most one slice, never for the whole run.
 */
export const COMPACTION_SLICE_OPS = 2000;

/** One committed slice of a user's compaction, as {@link PgCompactUserOptions.onSlice} sees it. */
export interface CompactionSlice {
  readonly userId: string;
  /** Ops this slice removed. */
  readonly deleted: number;
  /**
   * The watermark once the slice committed: above every op removed so far
   * and at most MIN; MIN itself after the last slice.
   */
  readonly compactedUpTo: number;
  /** Ops the run removed so far, this slice included. */
  readonly deletedSoFar: number;
  /** Ops the run set out to remove (the collapse of R59, computed before the first slice). */
  readonly doomed: number;
}

/** Options of {@link compactUser}: the port's, plus how the removal is sliced. */
export interface PgCompactUserOptions extends CompactUserOptions {
  /**
   * Most ops one slice (one transaction holding the user's push lock) removes.
   * @default COMPACTION_SLICE_OPS (2000)
   */
  readonly sliceOps?: number;
  /**
   * Called after each slice commits, and awaited before the next one starts:
   * a progress report for long runs (log it), or a point at which to look at
   * the partially compacted log. When nothing is to be removed, it is called
   * once, for the transaction that raises the watermark.
   */
  readonly onSlice?: (slice: CompactionSlice) => void | Promise<void>;
}

/** Options of {@link compactAll}: the port's, plus how each user's removal is sliced. */
export interface PgCompactOptions extends CompactOptions, PgCompactUserOptions {}

/** One slice of the doomed ids: a PostgreSQL array literal, and the watermark it raises to. */
interface IdSlice {
  readonly ids: string;
  readonly compactedUpTo: number;
}

/**
 * Cuts `ids` (ascending, comma-separated, as {@link DOOMED_SQL} returns them)
 * into runs of at most `size` ids. Each run raises the watermark to its
 * highest id + 1, the last one to `min`. No ids: one empty slice that only
 * raises the watermark to `min`.
 */
function idSlices(ids: string | null, size: number, min: number): IdSlice[] {
  if (ids === null) return [{ ids: "{}", compactedUpTo: min }];
  const slices: IdSlice[] = [];
  let start = 0;
  while (start < ids.length) {
    let end = start - 1;
    for (let taken = 0; taken < size && end < ids.length; taken++) {
      const comma = ids.indexOf(",", end + 1);
      end = comma === -1 ? ids.length : comma;
    }
    const run = ids.slice(start, end);
    const highest = Number(run.slice(run.lastIndexOf(",") + 1));
    slices.push({ ids: `{${run}}`, compactedUpTo: end < ids.length ? highest + 1 : min });
    start = end + 1;
  }
  return slices;
}

/**
 * Compacts one user's log in bounded slices, never holding the user's push
 * lock for longer than one slice:
 *
 * 1. reads MIN of the fresh devices' cursors and the watermark (no lock);
 * 2. computes, once and without a lock, the ops the collapse removes (R59).
 *    Their ids come back ascending in ONE comma-separated text value
 *    (`string_agg`), which is cut into slices as substrings and handed to
 *    each slice's DELETE as an array literal: a byte per digit (8 MB for a
 *    million 7-digit ids), no JS row or array element per id, and no
 *    connection held between slices. A temporary table cost the same to fill
 *    (about 0.5 s for 200 000 ids, measured) but would pin one connection
 *    for the whole run and need dropping after a failure;
 * 3. removes them in increasing id order, {@link PgCompactUserOptions.sliceOps}
 *    at a time. Each slice is ONE transaction: the user's push lock, the
 *    delete that also remembers each op in `sync_op_retired` (R68), and the
 *    watermark raised (never lowered, R61) to the slice's highest id + 1; the
 *    last slice raises it to MIN.
 *
 * Why this is safe. The ops below MIN never change while the run works: a
 * cursor is at most the user's head when it is acknowledged, the user's ops
 * become visible in id order under the push lock (R18), so every op below
 * MIN had committed by then, and only compaction removes ops. So the
 * set computed in step 2 stays exactly the collapse of R59, and a concurrent
 * push only adds ops above MIN. The push lock is still taken per slice so
 * that a retry of an op being removed cannot slip in: its `INSERT … ON
 * CONFLICT` would wait for the row being deleted and insert it again once
 * the delete commits; under the lock it either finds the row (a duplicate,
 * R14) or its memory in `sync_op_retired` (R68). Every slice commits its
 * removal together with a watermark above every op removed so far and at most
 * MIN, so after each slice, and after a crash between two, the log and
 * the watermark are consistent (R60, R62): a device whose cursor is at or
 * above the watermark has already seen every removed op, and a lower cursor
 * gets `resync_required` (R22). Each op removed is superseded by an op that
 * the collapse keeps, so the fold of the log never changes. A rerun computes
 * the same MIN and finds exactly the ops the interrupted run had left.
 * @returns what changed (`deleted`: over all slices), or `undefined` when
 * the user was left alone (no fresh device, or MIN not above the watermark)
 * @throws {RangeError} when `sliceOps` is not a positive integer
 * @example
 * await compactUser(pool, userId, { now, sliceOps: 500, onSlice: (slice) => log.info(slice) });
 */
export async function compactUser(
  pool: pg.Pool,
  userId: string,
  options: PgCompactUserOptions = {},
): Promise<UserCompaction | undefined> {
  const sliceOps = options.sliceOps ?? COMPACTION_SLICE_OPS;
  if (!Number.isInteger(sliceOps) || sliceOps < 1) {
    throw new RangeError(`sliceOps must be a positive integer, got ${sliceOps}`);
  }
  const now = options.now ?? new Date();
  const pending = (options.pendingAcks ?? []).filter((ack) => ack.userId === userId);
  const { rows } = await pool.query<{ min_id: string | null; compacted_up_to: string }>(MIN_SQL, [
    userId,
    pending.map((ack) => ack.deviceId),
    pending.map((ack) => ack.lastSeenId),
    pending.map((ack) => ack.at),
    cutoff(now, options.staleAfterMs),
  ]);
  const previous = Number(rows[0]!.compacted_up_to);
  if (rows[0]!.min_id === null) return undefined;
  const min = Number(rows[0]!.min_id);
  if (min <= previous) return undefined;

  const found = await pool.query<{ ids: string | null; doomed: string }>(DOOMED_SQL, [userId, min]);
  const doomed = Number(found.rows[0]!.doomed);
  let deleted = 0;
  for (const slice of idSlices(found.rows[0]!.ids, sliceOps, min)) {
    const committed = await withTransaction(
      pool,
      async (client) => {
        const removed = await client.query(REMOVE_SQL, [userId, slice.ids]);
        const watermark = await client.query<{ compacted_up_to: string }>(WATERMARK_SQL, [
          userId,
          slice.compactedUpTo,
          now,
        ]);
        return {
          deleted: removed.rowCount ?? 0,
          compactedUpTo: Number(watermark.rows[0]!.compacted_up_to),
        };
      },
      beginLockedByUser(userId),
    );
    deleted += committed.deleted;
    await options.onSlice?.({ userId, ...committed, deletedSoFar: deleted, doomed });
  }
  return { userId, previousCompactedUpTo: previous, compactedUpTo: min, deleted };
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
 * Runs {@link compactUser} for each user, one after the other, each in its own
 * slices, all judged against the same `now`.
 */
export async function compactAll(
  pool: pg.Pool,
  options: PgCompactOptions = {},
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
