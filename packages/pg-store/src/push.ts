import type { Op, PushedOp } from "@syncline/protocol";
import { lamportConflict, operationIdReused, type PushOutcome } from "@syncline/server-core";
import type pg from "pg";
import type { beginLockedByUser } from "./locks.js";
import { pushNoticeSql } from "./push-notice.js";
import {
  contentHash,
  contentMd5,
  isoWallClock,
  type OpRow,
  opColumns,
  toStoredOp,
} from "./rows.js";
import { withClient } from "./transaction.js";

/**
 * The batch as `b(operation_id, …, lamport_ts, ord)` from ONE JSON parameter
 * ($3, the validated ops as `JSON.stringify` gives them; $1 and $2 are the
 * user and the device): PostgreSQL parses it once, and the driver sends one
 * string instead of seven arrays. `ord` is the 1-based position. An upsert's
 * `value` is the JSONB it is stored as (a JSON `null` value comes out of
 * `json_to_recordset` as SQL NULL and is stored as JSONB `null`); a delete's
 * is SQL NULL.
 */
const BATCH = `(
  SELECT j.operation_id, j.entity_type, j.entity_id, j.op, j.field, j.lamport_ts, j.ord,
    CASE WHEN j.op = 'upsert' THEN coalesce(j.value, 'null'::jsonb) END AS value
  FROM ROWS FROM (json_to_recordset($3::json) AS (
    operation_id uuid, entity_type text, entity_id text, op text, field text, value jsonb, lamport_ts bigint
  )) WITH ORDINALITY AS j(operation_id, entity_type, entity_id, op, field, value, lamport_ts, ord)
) b`;

/**
 * One statement, one snapshot: the device's highest `lamport_ts` and the
 * user's head before the push (a CTE does not see the INSERT beside it), the
 * transaction's clock (every row's `wall_clock`, the column's `DEFAULT now()`), and the id of each
 * row the INSERT stored. ON CONFLICT DO NOTHING skips, instead of raising,
 * every op whose `operation_id` or `lamport_ts` is taken (stored before, or by
 * an earlier op of the batch), and an op compaction removed is never inserted
 * again (R68); {@link classify} then decides what each skipped op was. The
 * rest of each stored row is the op as sent, so nothing else comes back.
 * When it stored any op, the statement also queues the push notification
 * (delivered at commit, discarded by a rollback).
 */
const INSERT_SQL = `
WITH device AS (
  SELECT max(lamport_ts) AS max_lamport_ts,
    sync_user_head($1) AS head_before
  FROM sync_op WHERE user_id = $1 AND device_id = $2
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
  RETURNING id, operation_id, lamport_ts
)
SELECT device.max_lamport_ts, device.head_before, ${isoWallClock("now()")} AS wall_clock, inserted.*,
  (SELECT ${pushNoticeSql("$1::uuid", "max(i.id)", "$4::text")} FROM inserted i HAVING count(*) > 0) AS notified
FROM device LEFT JOIN inserted ON true`;

/** What a duplicate is compared on: everything but `lamport_ts`, with `value` compared as JSONB. */
const content = (alias: string) =>
  `(${alias}.entity_type, ${alias}.entity_id, ${alias}.op, ${alias}.field, ${alias}.value)`;

/**
 * For the skipped ops: the row stored under each one's `operation_id` (if
 * any) and whether the op's content matches it; for an op compaction removed,
 * its remembered `id`, `lamport_ts` and `wall_clock` with the retry's content,
 * which matches when its hash does (R68): `content_hash`, or for an op
 * removed before migration 11, `content_md5`. The stored rows are fetched once
 * (MATERIALIZED), so even with stale planner statistics the device's history
 * is read at most once, not once per op.
 */
const REPEATS_SQL = `
WITH batch AS MATERIALIZED (SELECT * FROM ${BATCH}),
stored AS MATERIALIZED (
  SELECT * FROM sync_op
  WHERE user_id = $1 AND device_id = $2 AND operation_id IN (SELECT operation_id FROM batch)
),
retired AS MATERIALIZED (
  SELECT id, device_id, operation_id, lamport_ts, wall_clock, content_hash, content_md5 FROM sync_op_retired
  WHERE user_id = $1 AND device_id = $2 AND operation_id IN (SELECT operation_id FROM batch)
)
SELECT b.ord, ${content("s")} IS NOT DISTINCT FROM ${content("b")} AS same, ${opColumns("s")}
FROM batch b
JOIN stored s ON s.operation_id = b.operation_id
UNION ALL
SELECT b.ord, CASE WHEN r.content_hash IS NULL THEN r.content_md5 = ${contentMd5("b")}
    ELSE r.content_hash = ${contentHash("b")} END AS same,
  r.id, r.device_id, r.operation_id, b.entity_type, b.entity_id, b.op, b.field, b.value, r.lamport_ts,
  ${isoWallClock("r.wall_clock")} AS wall_clock
FROM batch b
JOIN retired r ON r.operation_id = b.operation_id`;

interface InsertRow {
  max_lamport_ts: string | null;
  head_before: string;
  wall_clock: string;
  id: string | null;
  operation_id: string | null;
  lamport_ts: string | null;
}
type RepeatRow = OpRow & { ord: string; same: boolean };

/** What the INSERT stored for an op: its id and the `lamport_ts` it was stored with. */
interface Inserted {
  readonly id: number;
  readonly lamport_ts: number;
}

/**
 * A validated batch and its JSON text (`JSON.stringify(ops)`), made once
 * per push: the text is the one parameter {@link BATCH} and
 * `sync_push_new_ops` read the batch from.
 */
export interface SerializedBatch {
  readonly ops: readonly Op[];
  readonly json: string;
}

/** Serializes `ops` once for every statement of the push. */
export function serializeBatch(ops: readonly Op[]): SerializedBatch {
  return { ops, json: JSON.stringify(ops) };
}

/**
 * The one row `sync_push_new_ops` returns, its ids as one comma-separated
 * text: split in JS, 500 ids cost 12 µs instead of the driver's 120 µs
 * `bigint[]` parser (measured).
 */
interface NewOpsRow {
  ids: string;
  wall_clock: string;
  head_before: string;
}

/** SQLSTATEs with which `sync_push_new_ops` refuses a batch that is not all new ops. */
const NOT_ALL_NEW = new Set(["SLNEW", "23505"]);

/**
 * A push of ops that are all new (the common case: a device sending its
 * next batch) in ONE round trip, through `sync_push_new_ops` (migration 6),
 * which takes the user's lock and does every check a new op needs.
 * @returns the stored ops and the user's head before them, or `undefined`
 * when the batch holds anything else (a retry, a reused `operation_id`, a
 * Lamport conflict): nothing was stored, and {@link pushInTransaction} must
 * classify it
 */
export async function pushNewOps(
  pool: pg.Pool,
  userId: string,
  deviceId: string,
  batch: SerializedBatch,
  origin: string,
): Promise<PushOutcome | undefined> {
  const { ops } = batch;
  return withClient(pool, async (client) => {
    let row: NewOpsRow;
    try {
      const { rows } = await client.query<NewOpsRow>(
        "SELECT array_to_string(ids, ',') AS ids, wall_clock, head_before FROM sync_push_new_ops($1, $2, $3, $4)",
        [userId, deviceId, batch.json, origin],
      );
      row = rows[0]!;
    } catch (error) {
      if (NOT_ALL_NEW.has((error as { code?: string }).code ?? "")) return undefined;
      throw error;
    }
    const ids = row.ids.split(",");
    return {
      ops: ops.map((op, index) => storedAs(op, Number(ids[index]), deviceId, row.wall_clock)),
      headBefore: Number(row.head_before),
    };
  });
}

/**
 * The body of a push, inside the caller's transaction, which holds the
 * user's lock ({@link beginLockedByUser}): inserts what is new and queues the push notification (delivered at
 * commit) in one statement, then checks every op in order.
 * @throws {SyncError} `operation_id_reused` or `lamport_conflict`; the caller rolls back
 */
export async function pushInTransaction(
  client: pg.ClientBase,
  userId: string,
  deviceId: string,
  batch: SerializedBatch,
  origin: string,
): Promise<PushOutcome> {
  const { ops } = batch;
  const { rows } = await client.query<InsertRow>(INSERT_SQL, [
    userId,
    deviceId,
    batch.json,
    origin,
  ]);
  const inserted = new Map<string, Inserted>();
  for (const row of rows) {
    if (row.id === null) continue;
    inserted.set(row.operation_id!, { id: Number(row.id), lamport_ts: Number(row.lamport_ts) });
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
    const found = await client.query<RepeatRow>(REPEATS_SQL, [
      userId,
      deviceId,
      JSON.stringify(skipped.map((index) => ops[index]!)),
    ]);
    for (const row of found.rows) repeats.set(skipped[Number(row.ord) - 1]!, row);
  }

  const storedMax = Number(rows[0]?.max_lamport_ts ?? 0);
  const wallClock = rows[0]!.wall_clock;
  return {
    ops: classify(ops, deviceId, wallClock, storedMax, inserted, insertedBy, repeats),
    headBefore: Number(rows[0]!.head_before),
  };
}

/**
 * Applies the rules to each op in batch order, as if they ran one by one:
 * an op whose `operation_id` was stored before it (before the push, or by an
 * earlier op of the batch) is a duplicate and must match that row; any other
 * op is new, and its `lamport_ts` must be above the device's highest so far.
 * @param wallClock the push transaction's clock, every inserted row's `wall_clock`
 * @param inserted what the INSERT stored, by `operation_id`
 * @param insertedBy the index of the op that inserted each of them
 * @param repeats for the other ops, by index: the row stored under their `operation_id`
 */
function classify(
  ops: readonly Op[],
  deviceId: string,
  wallClock: string,
  storedMaxLamportTs: number,
  inserted: ReadonlyMap<string, Inserted>,
  insertedBy: ReadonlyMap<string, number>,
  repeats: ReadonlyMap<number, RepeatRow>,
): PushedOp[] {
  let maxLamportTs = storedMaxLamportTs;
  return ops.map((op, index) => {
    const by = insertedBy.get(op.operation_id);
    if (by === index) {
      if (op.lamport_ts <= maxLamportTs) throw lamportConflict(op, deviceId, maxLamportTs);
      maxLamportTs = op.lamport_ts;
      return storedAs(op, inserted.get(op.operation_id)!.id, deviceId, wallClock);
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

/** The row the INSERT stored for `op`, as one object (no spread on the hot path). */
function storedAs(op: Op, id: number, deviceId: string, wallClock: string): PushedOp {
  return op.op === "upsert"
    ? {
        id,
        device_id: deviceId,
        operation_id: op.operation_id,
        entity_type: op.entity_type,
        entity_id: op.entity_id,
        op: "upsert",
        field: op.field,
        value: op.value,
        lamport_ts: op.lamport_ts,
        wall_clock: wallClock,
        duplicate: false,
      }
    : {
        id,
        device_id: deviceId,
        operation_id: op.operation_id,
        entity_type: op.entity_type,
        entity_id: op.entity_id,
        op: "delete",
        field: null,
        value: null,
        lamport_ts: op.lamport_ts,
        wall_clock: wallClock,
        duplicate: false,
      };
}
