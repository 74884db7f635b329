import type { Op, PushedOp, StoredOp } from "@syncline/protocol";
import { lamportConflict, operationIdReused } from "@syncline/server-core";
import type pg from "pg";
import { lockUser } from "./locks.js";
import { publish } from "./notifier.js";
import { encodePushNotice, PUSH_CHANNEL } from "./push-notice.js";
import { contentMd5, type OpRow, opColumns, toStoredOp } from "./rows.js";

/**
 * Ops as `b(operation_id, …, lamport_ts, ord)`, from parameters $3..$9 ($1
 * and $2 are the user and the device). `ord` is the 1-based position.
 */
const BATCH = `unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::bigint[])
  WITH ORDINALITY AS b(operation_id, entity_type, entity_id, op, field, value, lamport_ts, ord)`;

/**
 * One statement, one snapshot: the device's highest `lamport_ts` before the
 * push (a CTE does not see the INSERT beside it), and the rows the INSERT
 * stored, in batch order. ON CONFLICT DO NOTHING skips, instead of raising,
 * every op whose `operation_id` or `lamport_ts` is taken (stored before, or by
 * an earlier op of the batch), and an op compaction removed is never inserted
 * again (R68); {@link classify} then decides what each skipped op was.
 */
const INSERT_SQL = `
WITH device AS (
  SELECT max(lamport_ts) AS max_lamport_ts FROM sync_op WHERE user_id = $1 AND device_id = $2
),
inserted AS (
  INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
  SELECT $1::uuid, $2::uuid, b.operation_id, b.entity_type, b.entity_id, b.op, b.field, b.value, b.lamport_ts
  FROM ${BATCH}
  WHERE NOT EXISTS (
    SELECT 1 FROM sync_op_retired r
    WHERE r.user_id = $1 AND r.device_id = $2 AND r.operation_id = b.operation_id
  )
  ORDER BY b.ord
  ON CONFLICT DO NOTHING
  RETURNING ${opColumns()}
)
SELECT device.max_lamport_ts, inserted.* FROM device LEFT JOIN inserted ON true`;

/** What a duplicate is compared on: everything but `lamport_ts`, with `value` compared as JSONB. */
const content = (alias: string) =>
  `(${alias}.entity_type, ${alias}.entity_id, ${alias}.op, ${alias}.field, ${alias}.value)`;

/**
 * For the skipped ops: the row stored under each one's `operation_id` (if
 * any) and whether the op's content matches it; for an op compaction removed,
 * its remembered `id`, `lamport_ts` and `wall_clock` with the retry's content,
 * which matches when its hash does (R68). The stored rows are fetched once
 * (MATERIALIZED), so even with stale planner statistics the device's history
 * is read at most once, not once per op.
 */
const REPEATS_SQL = `
WITH stored AS MATERIALIZED (
  SELECT ${opColumns()} FROM sync_op
  WHERE user_id = $1 AND device_id = $2 AND operation_id = ANY($3::uuid[])
),
retired AS MATERIALIZED (
  SELECT id, device_id, operation_id, lamport_ts, wall_clock, content_md5 FROM sync_op_retired
  WHERE user_id = $1 AND device_id = $2 AND operation_id = ANY($3::uuid[])
)
SELECT b.ord, ${content("s")} IS NOT DISTINCT FROM ${content("b")} AS same, ${opColumns("s")}
FROM ${BATCH}
JOIN stored s ON s.operation_id = b.operation_id
UNION ALL
SELECT b.ord, r.content_md5 = ${contentMd5("b")} AS same,
  r.id, r.device_id, r.operation_id, b.entity_type, b.entity_id, b.op, b.field, b.value, r.lamport_ts, r.wall_clock
FROM ${BATCH}
JOIN retired r ON r.operation_id = b.operation_id`;

type InsertRow = Omit<OpRow, "id"> & { max_lamport_ts: string | null; id: string | null };
type RepeatRow = OpRow & { ord: string; same: boolean };

/** The parameters $1..$9 of {@link BATCH}. */
function batchParams(userId: string, deviceId: string, ops: readonly Op[]): unknown[] {
  return [
    userId,
    deviceId,
    ops.map((op) => op.operation_id),
    ops.map((op) => op.entity_type),
    ops.map((op) => op.entity_id),
    ops.map((op) => op.op),
    ops.map((op) => op.field),
    ops.map((op) => (op.op === "upsert" ? JSON.stringify(op.value) : null)),
    ops.map((op) => op.lamport_ts),
  ];
}

/**
 * The body of a push, inside the caller's transaction: takes the user's
 * lock, inserts what is new in one statement, checks every op in order, and
 * queues the push notification (delivered at commit).
 * @throws {SyncError} `operation_id_reused` or `lamport_conflict`; the caller rolls back
 */
export async function pushInTransaction(
  client: pg.ClientBase,
  userId: string,
  deviceId: string,
  ops: readonly Op[],
): Promise<PushedOp[]> {
  await lockUser(client, userId);
  const { rows } = await client.query<InsertRow>(INSERT_SQL, batchParams(userId, deviceId, ops));
  const inserted = new Map<string, StoredOp>();
  for (const row of rows) {
    if (row.id === null) continue;
    const stored = toStoredOp({ ...row, id: row.id });
    inserted.set(stored.operation_id, stored);
  }

  // The op each inserted row came from: the first with its operation_id and lamport_ts.
  const insertedBy = new Map<string, number>();
  ops.forEach((op, index) => {
    if (insertedBy.has(op.operation_id)) return;
    if (inserted.get(op.operation_id)?.lamport_ts === op.lamport_ts) {
      insertedBy.set(op.operation_id, index);
    }
  });

  const repeats = new Map<number, RepeatRow>();
  const skipped = ops.flatMap((op, index) =>
    insertedBy.get(op.operation_id) === index ? [] : [index],
  );
  if (skipped.length > 0) {
    const found = await client.query<RepeatRow>(
      REPEATS_SQL,
      batchParams(
        userId,
        deviceId,
        skipped.map((index) => ops[index]!),
      ),
    );
    for (const row of found.rows) repeats.set(skipped[Number(row.ord) - 1]!, row);
  }

  const storedMax = Number(rows[0]?.max_lamport_ts ?? 0);
  const pushed = classify(ops, deviceId, storedMax, inserted, insertedBy, repeats);
  if (inserted.size > 0) {
    const maxId = Math.max(...[...inserted.values()].map((op) => op.id));
    await publish(client, PUSH_CHANNEL, encodePushNotice({ user_id: userId, max_id: maxId }));
  }
  return pushed;
}

/**
 * Applies the rules to each op in batch order, as if they ran one by one:
 * an op whose `operation_id` was stored before it (before the push, or by an
 * earlier op of the batch) is a duplicate and must match that row; any other
 * op is new, and its `lamport_ts` must be above the device's highest so far.
 * @param inserted the rows the INSERT stored, by `operation_id`
 * @param insertedBy the index of the op that inserted each of them
 * @param repeats for the other ops, by index: the row stored under their `operation_id`
 */
function classify(
  ops: readonly Op[],
  deviceId: string,
  storedMaxLamportTs: number,
  inserted: ReadonlyMap<string, StoredOp>,
  insertedBy: ReadonlyMap<string, number>,
  repeats: ReadonlyMap<number, RepeatRow>,
): PushedOp[] {
  let maxLamportTs = storedMaxLamportTs;
  return ops.map((op, index) => {
    const by = insertedBy.get(op.operation_id);
    if (by === index) {
      if (op.lamport_ts <= maxLamportTs) throw lamportConflict(op, deviceId, maxLamportTs);
      maxLamportTs = op.lamport_ts;
      return { ...inserted.get(op.operation_id)!, duplicate: false };
    }
    const repeat = repeats.get(index);
    // Stored before the push, or by an earlier op; a row inserted for a LATER op does not count.
    if (!repeat || (by !== undefined && by > index)) {
      // New, yet skipped: its lamport_ts is taken by a stored op or an earlier one of the batch.
      throw lamportConflict(op, deviceId, maxLamportTs);
    }
    if (!repeat.same) throw operationIdReused(op.operation_id);
    return { ...toStoredOp(repeat), duplicate: true };
  });
}
