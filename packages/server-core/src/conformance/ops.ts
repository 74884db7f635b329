import { randomUUID } from "node:crypto";
import type { DeleteOp, JsonValue, UpsertOp } from "@syncline/protocol";

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
