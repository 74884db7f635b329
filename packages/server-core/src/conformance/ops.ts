import { randomUUID } from "node:crypto";
import type { DeleteOp, JsonValue, Op, UpsertOp } from "@syncline/protocol";

/** A fresh random UUID: a user, device or operation id. */
export const uuid = (): string => randomUUID();

/** An upsert of `entityType`/`entityId`.`field` (R2). */
export function upsert(
  lamportTs: number,
  entityId: string,
  field: string,
  value: JsonValue,
  entityType = "playlist",
  operationId = uuid(),
): UpsertOp {
  return {
    operation_id: operationId,
    lamport_ts: lamportTs,
    entity_type: entityType,
    entity_id: entityId,
    op: "upsert",
    field,
    value,
  };
}

/** A delete (tombstone) of `entityType`/`entityId` (R2). */
export function remove(
  lamportTs: number,
  entityId: string,
  entityType = "playlist",
  operationId = uuid(),
): DeleteOp {
  return {
    operation_id: operationId,
    lamport_ts: lamportTs,
    entity_type: entityType,
    entity_id: entityId,
    op: "delete",
    field: null,
    value: null,
  };
}

/**
 * The example log of docs/PROTOCOL.md, section 9, for one device:
 * `p1.title` A, B, `p1.cover` x, delete `p1`, `p1.title` C, D.
 */
export function protocolExampleLog(): Op[] {
  return [
    upsert(1, "p1", "title", "A"),
    upsert(2, "p1", "title", "B"),
    upsert(3, "p1", "cover", "x"),
    remove(4, "p1"),
    upsert(5, "p1", "title", "C"),
    upsert(6, "p1", "title", "D"),
  ];
}
