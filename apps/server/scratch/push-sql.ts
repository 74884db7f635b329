import { randomUUID } from "node:crypto";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import { migratePgStore, PgSyncStore } from "@syncline/pg-store";
import pg from "pg";
import { insertRaw } from "../bench/push.js";
import { upserts } from "../bench/measure.js";
const embedded = await startEmbeddedPostgres();
const pool = new pg.Pool({ connectionString: embedded.url });
await migratePgStore(pool);
const store = new PgSyncStore({ pool });
const N = 20000;
for (let round = 0; round < 3; round++) {
  let ops = upserts(N); let t = performance.now();
  await insertRaw(pool, randomUUID(), randomUUID(), ops);
  console.log("raw VALUES", (performance.now() - t).toFixed(0));
  ops = upserts(N); const u = randomUUID(), d = randomUUID(); t = performance.now();
  for (let i = 0; i < N; i += 500) await store.push(u, d, ops.slice(i, i + 500));
  console.log("store.push", (performance.now() - t).toFixed(0));
  ops = upserts(N); const u2 = randomUUID(), d2 = randomUUID(); t = performance.now();
  for (let i = 0; i < N; i += 500) await pool.query(`INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
    SELECT $1, $2, j.operation_id, j.entity_type, j.entity_id, j.op, j.field, j.value, j.lamport_ts FROM json_to_recordset($3::json) AS j(operation_id uuid, entity_type text, entity_id text, op text, field text, value jsonb, lamport_ts bigint)`, [u2, d2, JSON.stringify(ops.slice(i, i + 500))]);
  console.log("json plain insert", (performance.now() - t).toFixed(0));
  ops = upserts(N); const u3 = randomUUID(), d3 = randomUUID(); t = performance.now();
  for (let i = 0; i < N; i += 500) await pool.query(`INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
    SELECT $1, $2, j.operation_id, j.entity_type, j.entity_id, j.op, j.field, j.value, j.lamport_ts FROM json_to_recordset($3::json) AS j(operation_id uuid, entity_type text, entity_id text, op text, field text, value jsonb, lamport_ts bigint) ON CONFLICT DO NOTHING`, [u3, d3, JSON.stringify(ops.slice(i, i + 500))]);
  console.log("json on conflict", (performance.now() - t).toFixed(0));
  ops = upserts(N); const u4 = randomUUID(), d4 = randomUUID(); t = performance.now();
  for (let i = 0; i < N; i += 500) await pool.query(`INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
    SELECT $1, $2, j.operation_id, j.entity_type, j.entity_id, j.op, j.field, j.value, j.lamport_ts FROM json_to_recordset($3::json) AS j(operation_id uuid, entity_type text, entity_id text, op text, field text, value jsonb, lamport_ts bigint)
    WHERE NOT EXISTS (SELECT 1 FROM sync_op s WHERE s.user_id = $1 AND s.device_id = $2 AND s.operation_id = j.operation_id)
      AND NOT EXISTS (SELECT 1 FROM sync_op s WHERE s.user_id = $1 AND s.device_id = $2 AND s.lamport_ts = j.lamport_ts)`, [u4, d4, JSON.stringify(ops.slice(i, i + 500))]);
  console.log("json not exists", (performance.now() - t).toFixed(0));
}
await store.close(); await pool.end(); await embedded.stop();
