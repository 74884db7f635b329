/** A long history made in the database at bulk speed, for the sections that need one. */
import { randomUUID } from "node:crypto";
import type { BenchServer } from "./bench-server.js";

/**
 * SQL for a UUIDv7 (RFC 9562) at the Unix millisecond `ms` (an SQL
 * expression): a random UUID with its first 48 bits set to the time and the
 * version nibble to 7, as `uuidv7()` of `@syncline/client` makes them
 * (PostgreSQL 17 has no `uuidv7()`).
 */
const UUID_V7_AT = (ms: string) =>
  `encode(set_byte(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(${ms}) FROM 3) FROM 1 FOR 6), 6, (7 << 4) | (get_byte(uuid_send(gen_random_uuid()), 6) & 15)), 'hex')::uuid`;

/**
 * Inserts `total` upserts of one new device for `userId`, spread over
 * `fields` fields (`fields / 5` track entities × 5 fields), so each field
 * is written `total / fields` times and only its last write is live. Ids
 * ascend with `n`; the value is `n`; operation ids are UUIDv7 a millisecond
 * apart, as a client makes them over time. Analyzes the table afterwards.
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
     SELECT $1, $2, ${UUID_V7_AT("$5::bigint + n")}, 'track', 't' || (n % ($3 / 5)), 'upsert',
       'f' || (n / ($3 / 5) % 5), to_jsonb(n), n + 1
     FROM generate_series(0, $4 - 1) AS n`,
    [userId, deviceId, fields, total, Date.now() - total],
  );
  await server.pool.query("ANALYZE sync_op");
  return deviceId;
}
