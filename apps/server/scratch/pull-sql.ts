import { randomUUID } from "node:crypto";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import { migratePgStore } from "@syncline/pg-store";
import pg from "pg";
const embedded = await startEmbeddedPostgres();
const pool = new pg.Pool({ connectionString: embedded.url });
await migratePgStore(pool);
const u = randomUUID();
await pool.query(`INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
     SELECT $1, $2, gen_random_uuid(), 'track', 't' || (n % 5000), 'upsert', 'f' || (n % 5), CASE WHEN n % 5 = 1 THEN to_jsonb('Track title ' || n) ELSE to_jsonb(n % 100) END, n + 1
     FROM generate_series(0, 99999) AS n`, [u, randomUUID()]);
await pool.query("ANALYZE sync_op");
const iso = (e: string) => `to_char(${e} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const obj = (a: string, wc: string) => `json_build_object('id', ${a}.id, 'device_id', ${a}.device_id, 'operation_id', ${a}.operation_id, 'entity_type', ${a}.entity_type, 'entity_id', ${a}.entity_id, 'op', ${a}.op, 'field', ${a}.field, 'value', ${a}.value, 'lamport_ts', ${a}.lamport_ts, 'wall_clock', ${wc})`;
const conc = (wc: string) => `'{"id":' || p.id || ',"device_id":"' || p.device_id || '","operation_id":"' || p.operation_id || '","entity_type":' || to_json(p.entity_type) || ',"entity_id":' || to_json(p.entity_id) || ',"op":"' || p.op || '","field":' || coalesce(to_json(p.field)::text, 'null') || ',"value":' || coalesce(p.value::text, 'null') || ',"lamport_ts":' || p.lamport_ts || ',"wall_clock":"' || ${wc} || '"}'`;
const variants: Record<string, string> = {
  raw: `SELECT id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts, wall_clock FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
  rowToJson: `SELECT json_agg(p)::text FROM (SELECT id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts, wall_clock FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3) p`,
  concIso: `SELECT string_agg(${conc(iso("p.wall_clock"))}, ',' ORDER BY p.id) FROM (SELECT * FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3) p`,
  concNoOrder: `SELECT string_agg(${conc(iso("p.wall_clock"))}, ',') FROM (SELECT * FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3) p`,
  concRawTs: `SELECT string_agg(${conc("p.wall_clock::text")}, ',') FROM (SELECT * FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3) p`,
  concNoTs: `SELECT string_agg(${conc("'x'")}, ',') FROM (SELECT * FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3) p`,
  concArrayIn: `SELECT string_agg(${conc(iso("p.wall_clock"))}, ',' ORDER BY p.id) FROM (SELECT *, sum(coalesce(octet_length(value::text),0)) OVER (ORDER BY id) AS b FROM (SELECT * FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3) q) p WHERE p.b < 4000000`,
};

const ident = { getTypeParser: () => (v: string) => v };
function wc(t: string) { // "2026-12-02 10:00:00.123456+00"
  const dot = t.indexOf(".", 19);
  const ms = dot === -1 ? "000" : (t.slice(dot + 1, dot + 4) + "00").slice(0, 3);
  return `${t.slice(0, 10)}T${t.slice(11, 19)}.${ms}Z`;
}
await pool.query("SET TIME ZONE 'UTC'");
const tsql = `SELECT id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts, wall_clock FROM sync_op WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`;
for (let round = 0; round < 3; round++) {
  const ids = (await pool.query("SELECT id FROM sync_op WHERE user_id=$1 ORDER BY id", [u])).rows.map(r => r.id);
  let t0 = performance.now();
  for (let i = 0; i < ids.length; i += 5000) await pool.query(tsql, [u, i === 0 ? 0 : ids[i - 1], 5000]);
  console.log("raw", (performance.now() - t0).toFixed(0));
  t0 = performance.now();
  let bytes = 0;
  const client = await pool.connect(); await client.query("SET TIME ZONE 'UTC'");
  for (let i = 0; i < ids.length; i += 5000) {
    const r = await client.query({ text: tsql, values: [u, i === 0 ? 0 : ids[i - 1], 5000], rowMode: "array", types: ident });
    const parts: string[] = [];
    for (const row of r.rows as string[][]) {
      parts.push(`{"id":${row[0]},"device_id":"${row[1]}","operation_id":"${row[2]}","entity_type":${JSON.stringify(row[3])},"entity_id":${JSON.stringify(row[4])},"op":"${row[5]}","field":${row[6] === null ? "null" : JSON.stringify(row[6])},"value":${row[7] ?? "null"},"lamport_ts":${row[8]},"wall_clock":"${wc(row[9]!)}"}`);
      bytes += row[7] ? Buffer.byteLength(row[7]) : 0;
    }
    const body = `[${parts.join(",")}]`;
    if (i === 0 && round === 0) console.log(body.slice(0, 300));
  }
  client.release();
  console.log("textConcat", (performance.now() - t0).toFixed(0));
}
await pool.end(); await embedded.stop();
