import type { JsonValue, StoredOp } from "@syncline/protocol";

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
  "wall_clock",
] as const;

/**
 * The `sync_op` columns every read selects, in the shape {@link toStoredOp}
 * takes, optionally qualified by a table alias.
 */
export function opColumns(alias?: string): string {
  return COLUMNS.map((column) => (alias ? `${alias}.${column}` : column)).join(", ");
}

/**
 * SQL for the MD5 (as a UUID) of an op's content, everything a retry must
 * repeat (R15): `entity_type`, `entity_id`, `op`, `field` and `value`, with the
 * value in JSONB's canonical text, so values equal as JSON hash alike. It is
 * what `sync_op_retired` keeps of a removed op (R68).
 */
export function contentMd5(alias: string): string {
  return `md5(jsonb_build_array(${alias}.entity_type, ${alias}.entity_id, ${alias}.op, ${alias}.field, ${alias}.value)::text)::uuid`;
}

/** A `sync_op` row as node-postgres returns it (BIGINTs arrive as strings). */
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
  wall_clock: Date;
}

/** Maps a row to the protocol's {@link StoredOp}: numbers for BIGINTs, ISO-8601 for the clock. */
export function toStoredOp(row: OpRow): StoredOp {
  const common = {
    id: Number(row.id),
    device_id: row.device_id,
    operation_id: row.operation_id,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    lamport_ts: Number(row.lamport_ts),
    wall_clock: row.wall_clock.toISOString(),
  };
  if (row.op === "delete") return { ...common, op: "delete", field: null, value: null };
  return { ...common, op: "upsert", field: row.field!, value: row.value };
}
