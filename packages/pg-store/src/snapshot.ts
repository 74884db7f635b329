import type { SnapshotResponse } from "@syncline/protocol";
import {
  type SnapshotRequest,
  type SnapshotRow,
  snapshotAheadOfHead,
  snapshotPage,
} from "@syncline/server-core";
import type { Queryable } from "./queryable.js";

/** The next upsert key after `(a, b, c)`: one probe of `sync_op_field_winner_idx`. */
const nextKey = (a: string, b: string, c: string, ofType: boolean) => `(
  SELECT k.entity_type, k.entity_id, k.field FROM sync_op k
  WHERE k.user_id = $1 AND k.op = 'upsert' AND (k.entity_type, k.entity_id, k.field) > (${a}, ${b}, ${c})
    ${ofType ? "AND k.entity_type = $6" : ""}
  ORDER BY k.entity_type, k.entity_id, k.field
  LIMIT 1
)`;

/**
 * One statement, so the head and the page come from one snapshot of the log.
 * `keys` walks the user's distinct (entity, field) pairs after the cursor
 * (`$2`–`$4`; `$6` the entity type of a filtered read) by a loose index scan (a recursive CTE of one index probe per
 * pair, which PostgreSQL evaluates only as far as the outer LIMIT reads);
 * each pair's winner is one more probe (its highest upsert id), and the
 * entity's newest delete one more. A page therefore costs a few probes per
 * field it returns (plus one per field hidden by a delete and not yet
 * compacted away), never a read of the history. `$5` is the limit + 1, so
 * the page knows whether it is the last.
 */
const pageSql = (ofType: boolean) => `
WITH RECURSIVE keys AS (
  ${nextKey("$2::text", "$3::text", "$4::text", ofType)}
  UNION ALL
  SELECT n.* FROM keys, LATERAL ${nextKey("keys.entity_type", "keys.entity_id", "keys.field", ofType)} n
)
SELECT h.head, r.entity_type, r.entity_id, r.field, r.id, r.value, r.bytes
FROM (SELECT coalesce(max(id), 0) AS head FROM sync_op WHERE user_id = $1) h
LEFT JOIN LATERAL (
  SELECT keys.entity_type, keys.entity_id, keys.field, w.id, w.value,
    octet_length(w.value::text) AS bytes
  FROM keys
  CROSS JOIN LATERAL (
    SELECT id, value FROM sync_op
    WHERE user_id = $1 AND op = 'upsert' AND entity_type = keys.entity_type
      AND entity_id = keys.entity_id AND field = keys.field
    ORDER BY id DESC
    LIMIT 1
  ) w
  WHERE w.id > coalesce((
    SELECT max(id) FROM sync_op
    WHERE user_id = $1 AND op = 'delete' AND entity_type = keys.entity_type
      AND entity_id = keys.entity_id
  ), 0)
  LIMIT $5
) r ON true`;

const PAGE_SQL = pageSql(false);
const PAGE_OF_TYPE_SQL = pageSql(true);

interface PageRow {
  head: string;
  entity_type: string | null;
  entity_id: string;
  field: string;
  id: string;
  value: SnapshotRow["value"];
  bytes: number;
}

/**
 * A snapshot page of the user's current state (R72–R74) in one statement.
 * @throws SyncError `invalid_request` (422) when the cursor's `as_of` is above the head
 */
export async function snapshotPageOf(
  db: Queryable,
  userId: string,
  request: SnapshotRequest,
): Promise<SnapshotResponse> {
  const { cursor, entityType } = request;
  // Every name is at least one character, so "" sorts before every key.
  let after = cursor ? [cursor.entityType, cursor.entityId, cursor.field] : ["", "", ""];
  if (entityType !== undefined && after[0]! < entityType) after = [entityType, "", ""];
  const { rows } = await db.query<PageRow>(entityType === undefined ? PAGE_SQL : PAGE_OF_TYPE_SQL, [
    userId,
    ...after,
    request.limit + 1,
    ...(entityType === undefined ? [] : [entityType]),
  ]);
  const head = Number(rows[0]?.head ?? 0);
  const asOf = cursor?.asOf ?? head;
  if (asOf > head) throw snapshotAheadOfHead(asOf, head);
  const found = rows.flatMap((row): SnapshotRow[] =>
    row.entity_type === null
      ? []
      : [
          {
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            field: row.field,
            value: row.value,
            id: Number(row.id),
            bytes: row.bytes,
          },
        ],
  );
  return snapshotPage(asOf, found, request);
}
