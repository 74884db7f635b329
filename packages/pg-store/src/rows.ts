import type { JsonValue, StoredOp } from "@syncline/protocol";

/**
 * SQL for a `timestamptz` as the protocol's wall clock: ISO-8601 in UTC with
 * milliseconds (`2026-12-02T10:00:00.123Z`, what `Date#toISOString` gives),
 * made by PostgreSQL so no row is parsed into a `Date` on the way. It is
 * `to_json`'s ISO text of the instant in UTC (whatever the session's
 * `DateStyle` and `TimeZone`), cut after the milliseconds: truncated to the
 * millisecond plus one microsecond, the instant always prints six fraction
 * digits, which `to_json` would otherwise trim of trailing zeros. The same
 * text as `to_char(… 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` for years 1–9999,
 * at half its cost (measured: 0.67 → 0.31 µs a row, a tenth of a pull page's
 * time in PostgreSQL).
 */
export function isoWallClock(expression: string): string {
  return `(substr(to_json(date_trunc('milliseconds', ${expression} AT TIME ZONE 'UTC') + interval '1 microsecond')::text, 2, 23) || 'Z')`;
}

/**
 * SQL of a one-row derived table `h` whose `head` is the user's highest op id
 * (`$1` the user), 0 for an empty log: `sync_user_head` (migration 9), one
 * backward probe of the `(user_id, id)` index wherever the user's ops sit.
 */
export const USER_HEAD = "(SELECT sync_user_head($1) AS head) h";

const COLUMNS = [
  "id",
  "device_id",
  "operation_id",
  "entity_type",
  "entity_id",
  "op",
  "field",
  "value",
  "lamport_ts",
] as const;

/**
 * The `sync_op` columns every row read selects, in the shape {@link toStoredOp}
 * takes (the wall clock already as ISO text), optionally qualified by a table alias.
 */
export function opColumns(alias?: string): string {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  return [...COLUMNS.map(column), `${isoWallClock(column("wall_clock"))} AS wall_clock`].join(", ");
}

/**
 * SQL for one `sync_op` row (by table alias) as the text of the wire's JSON
 * object of a stored op, concatenated by PostgreSQL (measured faster than
 * `json_build_object`): text columns through `to_json` (escaped), UUIDs and
 * numbers as they print, the value as JSONB prints it. A pull page is then
 * one text value, with no JS object per row.
 */
export function storedOpJson(alias: string): string {
  const a = alias;
  return `'{"id":' || ${a}.id || ',"device_id":"' || ${a}.device_id || '","operation_id":"' || ${a}.operation_id
    || '","entity_type":' || to_json(${a}.entity_type) || ',"entity_id":' || to_json(${a}.entity_id)
    || ',"op":"' || ${a}.op || '","field":' || coalesce(to_json(${a}.field)::text, 'null')
    || ',"value":' || coalesce(${a}.value::text, 'null') || ',"lamport_ts":' || ${a}.lamport_ts
    || ',"wall_clock":"' || ${isoWallClock(`${a}.wall_clock`)} || '"}'`;
}

/**
 * SQL for the hash of an op's content, everything a retry must repeat (R15):
 * `entity_type`, `entity_id`, `op`, `field` and `value`, as ONE 64-bit
 * `hash_record_extended` (PostgreSQL 14+) of them. The value is hashed as
 * JSONB, so values equal as JSONB (keys in any order, `1.0` and `1`) hash
 * alike, as they compare alike while the op is in the log. It is what
 * `sync_op_retired.content_hash` keeps of a removed op (R68, migration 11):
 * a quarter of the cost of {@link contentMd5} (measured).
 */
export function contentHash(alias: string): string {
  return `hash_record_extended(row(${alias}.entity_type, ${alias}.entity_id, ${alias}.op, ${alias}.field, ${alias}.value), 0)`;
}

/**
 * SQL for the MD5 (as a UUID) of an op's content, with the value in JSONB's
 * canonical text: what `sync_op_retired.content_md5` holds for the ops
 * removed before migration 11, by which a late retry of them is checked.
 */
export function contentMd5(alias: string): string {
  return `md5(jsonb_build_array(${alias}.entity_type, ${alias}.entity_id, ${alias}.op, ${alias}.field, ${alias}.value)::text)::uuid`;
}

/** A `sync_op` row as {@link opColumns} selects it (BIGINTs arrive as strings). */
export interface OpRow {
  id: string;
  device_id: string;
  operation_id: string;
  entity_type: string;
  entity_id: string;
  op: string;
  field: string | null;
  value: JsonValue;
  lamport_ts: string;
  /** ISO-8601 already ({@link isoWallClock}). */
  wall_clock: string;
}

/** Maps a row to the protocol's {@link StoredOp}: numbers for BIGINTs. */
export function toStoredOp(row: OpRow): StoredOp {
  if (row.op === "delete") {
    return {
      id: Number(row.id),
      device_id: row.device_id,
      operation_id: row.operation_id,
      entity_type: row.entity_type,
      entity_id: row.entity_id,
      op: "delete",
      field: null,
      value: null,
      lamport_ts: Number(row.lamport_ts),
      wall_clock: row.wall_clock,
    };
  }
  return {
    id: Number(row.id),
    device_id: row.device_id,
    operation_id: row.operation_id,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    op: "upsert",
    field: row.field!,
    value: row.value,
    lamport_ts: Number(row.lamport_ts),
    wall_clock: row.wall_clock,
  };
}
