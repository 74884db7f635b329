import type { LwwTarget, SnapshotEntity } from "@syncline/protocol";

/**
 * Folds snapshot entities into `target` as the reducer folds upserts
 * (R48–R50): each field is recorded with its winning `id` (`setField`),
 * unless the field's current writer or the entity's tombstone is at or above
 * that id. Into empty state it records every field; folded with the ops after
 * the snapshot's `as_of` in any order, it ends where the whole log does (R74).
 * The rule of `StoreTx.loadSnapshot`, for stores and in-memory `SyncState`s.
 * @example
 * applySnapshotTo(syncStateTarget(state), page.entities);
 */
export function applySnapshotTo(target: LwwTarget, entities: readonly SnapshotEntity[]): void {
  for (const { entity_type: type, entity_id: id, fields } of entities) {
    const tombstone = target.tombstoneId(type, id);
    for (const { field, value, id: writer } of fields) {
      if (writer > tombstone && writer > target.fieldId(type, id, field)) {
        target.setField(type, id, field, value, writer);
      }
    }
  }
}
