import {
  encodeSnapshotCursor,
  type JsonValue,
  MAX_PAGE_VALUE_BYTES,
  type SnapshotEntity,
  type SnapshotResponse,
} from "@syncline/protocol";
import type { SnapshotPageRequest } from "./store.js";

/** One visible field as a store reads it for a snapshot page, in the store's key order. */
export interface SnapshotRow {
  readonly entity_type: string;
  readonly entity_id: string;
  readonly field: string;
  readonly value: JsonValue;
  /** The id of the op that wrote the value (the field's winner). */
  readonly id: number;
  /** Bytes of the value as JSON text, what the page's byte bound counts. */
  readonly bytes: number;
}

/**
 * The snapshot page of `rows` (R72): the first `request.limit` of them, ended
 * early once the values reach `request.maxValueBytes` (never empty while rows
 * are left), grouped by entity, with a `next_cursor` after the last row taken
 * when rows remain. Every store builds its page with it.
 * @param asOf the read's `as_of` (R73)
 * @param rows the candidate rows after the cursor, in key order: at least
 * `limit + 1` when more exist, so the page knows whether it is the last
 */
export function snapshotPage(
  asOf: number,
  rows: readonly SnapshotRow[],
  request: SnapshotPageRequest,
): SnapshotResponse {
  const maxBytes = request.maxValueBytes ?? MAX_PAGE_VALUE_BYTES;
  const entities: SnapshotEntity[] = [];
  let bytes = 0;
  let taken = 0;
  for (const row of rows) {
    if (taken === request.limit || bytes >= maxBytes) break;
    const last = entities.at(-1);
    const field = { field: row.field, value: row.value, id: row.id };
    if (last && last.entity_type === row.entity_type && last.entity_id === row.entity_id) {
      last.fields.push(field);
    } else {
      entities.push({ entity_type: row.entity_type, entity_id: row.entity_id, fields: [field] });
    }
    bytes += row.bytes;
    taken++;
  }
  const end = rows[taken - 1];
  const next_cursor =
    end && taken < rows.length
      ? encodeSnapshotCursor({
          asOf,
          entityType: end.entity_type,
          entityId: end.entity_id,
          field: end.field,
        })
      : null;
  return { as_of: asOf, entities, next_cursor };
}
