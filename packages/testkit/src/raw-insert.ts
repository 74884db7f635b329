import type { Op } from "@syncline/protocol";
import type pg from "pg";

/**
 * The benches' raw push baseline: what a hand-written server would run, one
 * multi-row `INSERT … VALUES` of `ops` (one batch) into `table` (a table with
 * `sync_op`'s columns), nothing checked.
 */
export async function rawInsertOps(
  pool: pg.Pool,
  table: string,
  userId: string,
  deviceId: string,
  ops: readonly Op[],
): Promise<void> {
  const params: unknown[] = [];
  const tuples = ops.map((op) => {
    const at = params.length;
    params.push(
      userId,
      deviceId,
      op.operation_id,
      op.entity_type,
      op.entity_id,
      op.op,
      op.field,
      op.op === "upsert" ? JSON.stringify(op.value) : null,
      op.lamport_ts,
    );
    return `(${Array.from({ length: 9 }, (_, i) => `$${at + i + 1}`).join(", ")})`;
  });
  await pool.query(
    `INSERT INTO ${table} (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts) VALUES ${tuples.join(", ")}`,
    params,
  );
}
