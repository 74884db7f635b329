/** A long history made in the database at bulk speed, for the sections that need one. */
import { randomUUID } from "node:crypto";
import type { BenchServer } from "./bench-server.js";

/**
 * Inserts `total` upserts of one new device for `userId`, spread over
 * `fields` fields (`fields / 5` track entities × 5 fields), so each field
 * is written `total / fields` times and only its last write is live. Ids
 * ascend with `n`; the value is `n`. Analyzes the table afterwards.
 * @returns the device
 */
export async function loadHistory(
  server: BenchServer,
  userId: string,
  total: number,
  fields: number,
): Promise<string> {
  const deviceId = randomUUID();
  await server.pool.query(
    `INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
     SELECT $1, $2, gen_random_uuid(), 'track', 't' || (n % ($3 / 5)), 'upsert',
       'f' || (n / ($3 / 5) % 5), to_jsonb(n), n + 1
     FROM generate_series(0, $4 - 1) AS n`,
    [userId, deviceId, fields, total],
  );
  await server.pool.query("ANALYZE sync_op");
  return deviceId;
}
