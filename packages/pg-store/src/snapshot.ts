import type { SnapshotResponse } from "@syncline/protocol";
import {
  type SnapshotPageRequest,
  type SnapshotRow,
  snapshotAheadOfHead,
  snapshotPage,
} from "@syncline/server-core";
import type { Queryable } from "./queryable.js";
import { USER_HEAD } from "./rows.js";

/** Which of the four forms of the page's statement a request needs. */
interface PageShape {
  /** A later page: only keys below the cursor (`$3`–`$5`). */
  readonly afterCursor: boolean;
  /** Only entities of one type (the parameter after the cursor's). */
  readonly ofType: boolean;
}

/**
 * The winner of the next field below `below` (or of the highest field, with
 * no `below`): one backward probe of `sync_op_field_winner_idx`, whose first
 * entry under a key is that key's highest upsert id, so the probe finds the
 * next field and its winning row at once.
 */
const nextWinner = (below: string | undefined, typeParam: string | undefined) => `(
  SELECT k.entity_type, k.entity_id, k.field, k.id, k.value FROM sync_op k
  WHERE k.user_id = $1 AND k.op = 'upsert'
    ${below ? `AND (k.entity_type, k.entity_id, k.field) < ${below}` : ""}
    ${typeParam ? `AND k.entity_type = ${typeParam}` : ""}
  ORDER BY k.entity_type DESC, k.entity_id DESC, k.field DESC, k.id DESC
  LIMIT 1
)`;

/**
 * One statement, so the head and the page come from one snapshot of the log.
 * `winners` walks the user's fields in descending key order, the server's
 * key order (R72), by a loose index scan: a recursive CTE of one index probe
 * per field, which PostgreSQL evaluates only as far as the outer LIMIT
 * reads. Each field then costs one more probe, of `sync_op_tombstone_idx`
 * for its entity's newest delete, and is skipped when hidden. A page thus
 * costs two probes per field it returns (plus one per hidden field that
 * compaction has not yet removed), never a read of the history. `$2` is the
 * limit + 1, so the page knows whether it is the last.
 */
const pageSql = ({ afterCursor, ofType }: PageShape) => {
  const typeParam = ofType ? (afterCursor ? "$6::text" : "$3::text") : undefined;
  return `
WITH RECURSIVE winners AS (
  ${nextWinner(afterCursor ? "($3::text, $4::text, $5::text)" : undefined, typeParam)}
  UNION ALL
  SELECT n.* FROM winners w,
    LATERAL ${nextWinner("(w.entity_type, w.entity_id, w.field)", typeParam)} n
)
SELECT h.head, r.entity_type, r.entity_id, r.field, r.id, r.value, r.bytes
FROM ${USER_HEAD}
LEFT JOIN LATERAL (
  SELECT w.entity_type, w.entity_id, w.field, w.id, w.value, octet_length(w.value::text) AS bytes
  FROM winners w
  WHERE w.id > coalesce((
    SELECT max(id) FROM sync_op
    WHERE user_id = $1 AND op = 'delete' AND entity_type = w.entity_type AND entity_id = w.entity_id
  ), 0)
  LIMIT $2
) r ON true`;
};

const PAGE_SQL = new Map(
  [false, true].flatMap((afterCursor) =>
    [false, true].map((ofType) => [`${afterCursor}/${ofType}`, pageSql({ afterCursor, ofType })]),
  ),
);

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
  request: SnapshotPageRequest,
): Promise<SnapshotResponse> {
  const { cursor, entityType } = request;
  const params: unknown[] = [userId, request.limit + 1];
  if (cursor) params.push(cursor.entityType, cursor.entityId, cursor.field);
  if (entityType !== undefined) params.push(entityType);
  const sql = PAGE_SQL.get(`${cursor !== undefined}/${entityType !== undefined}`)!;
  const { rows } = await db.query<PageRow>(sql, params);
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
