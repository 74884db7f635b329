import type { JsonValue } from "./json.js";
import type { StoredOp } from "./stored-op.js";

/**
 * Storage the last-writer-wins rule writes to. The in-memory {@link SyncState}
 * implements it; a device store (e.g. SQLite tables) implements it too, so one
 * function, {@link applyOpTo}, decides for both.
 */
export interface LwwTarget {
  /** `id` of the newest delete of the entity, or 0. */
  tombstoneId(entityType: string, entityId: string): number;
  /** `id` of the op that wrote the field's current value, or 0 when unset. */
  fieldId(entityType: string, entityId: string, field: string): number;
  /** Records `value`, written by op `id`, as the field's current value. */
  setField(entityType: string, entityId: string, field: string, value: JsonValue, id: number): void;
  /** Records op `id` as the entity's newest delete and drops its fields written by lower ids. */
  setTombstone(entityType: string, entityId: string, id: number): void;
}

/**
 * Applies one stored op by R48–R50: per (entity_type, entity_id,
 * field) the highest `id` wins; a delete hides every field written with a
 * lower `id`; an upsert above the tombstone brings the entity back with only
 * the newer fields. Applying ops in any order, or one op twice, ends in the
 * same state.
 * @returns whether the target changed
 */
export function applyOpTo(target: LwwTarget, op: StoredOp): boolean {
  const tombstone = target.tombstoneId(op.entity_type, op.entity_id);
  if (op.op === "delete") {
    if (op.id <= tombstone) return false;
    target.setTombstone(op.entity_type, op.entity_id, op.id);
    return true;
  }
  if (op.id <= tombstone) return false;
  if (op.id <= target.fieldId(op.entity_type, op.entity_id, op.field)) return false;
  target.setField(op.entity_type, op.entity_id, op.field, op.value, op.id);
  return true;
}

/** One field's winning value and the id of the op that wrote it. */
export interface FieldState {
  readonly value: JsonValue;
  readonly id: number;
}

/** One entity: its newest tombstone and its fields written after it. */
export interface EntityState {
  tombstoneId: number;
  readonly fields: Map<string, FieldState>;
}

/** The reducer's state: entity_type → entity_id → entity. */
export type SyncState = Map<string, Map<string, EntityState>>;

/** Visible state: entity_type → entity_id → field → value. Deleted entities are absent. */
export type MaterializedState = Record<string, Record<string, Record<string, JsonValue>>>;

function entity(state: SyncState, entityType: string, entityId: string): EntityState {
  let byId = state.get(entityType);
  if (!byId) {
    byId = new Map();
    state.set(entityType, byId);
  }
  let found = byId.get(entityId);
  if (!found) {
    found = { tombstoneId: 0, fields: new Map() };
    byId.set(entityId, found);
  }
  return found;
}

/**
 * An in-memory {@link SyncState} as an {@link LwwTarget}: {@link applyOpTo}
 * writes into `state` (which it mutates).
 */
export function syncStateTarget(state: SyncState): LwwTarget {
  return {
    tombstoneId: (type, id) => state.get(type)?.get(id)?.tombstoneId ?? 0,
    fieldId: (type, id, field) => state.get(type)?.get(id)?.fields.get(field)?.id ?? 0,
    setField(type, id, field, value, opId) {
      entity(state, type, id).fields.set(field, { value, id: opId });
    },
    setTombstone(type, id, opId) {
      const found = entity(state, type, id);
      found.tombstoneId = opId;
      for (const [field, written] of found.fields) {
        if (written.id < opId) found.fields.delete(field);
      }
    },
  };
}

/** A copy of `state` that shares nothing mutable with it. */
export function cloneState(state: SyncState): SyncState {
  const copy: SyncState = new Map();
  for (const [type, byId] of state) {
    const ids = new Map<string, EntityState>();
    for (const [id, found] of byId) {
      ids.set(id, { tombstoneId: found.tombstoneId, fields: new Map(found.fields) });
    }
    copy.set(type, ids);
  }
  return copy;
}

/**
 * Folds ops into state. Pure: `base` is not modified.
 * @param ops stored ops, in any order, duplicates allowed
 * @param base state to start from (e.g. a device's state at its cursor)
 * @example
 * const state = reduceOps(pulled.ops);
 * materialize(state).playlist?.["p1"]?.title;
 */
export function reduceOps(ops: Iterable<StoredOp>, base?: SyncState): SyncState {
  const state = base ? cloneState(base) : new Map();
  const target = syncStateTarget(state);
  for (const op of ops) applyOpTo(target, op);
  return state;
}

/** The visible values of a state: deleted entities and hidden fields left out. */
export function materialize(state: SyncState): MaterializedState {
  const out: MaterializedState = {};
  for (const [type, byId] of state) {
    for (const [id, found] of byId) {
      if (found.fields.size === 0) continue;
      const fields: Record<string, JsonValue> = {};
      for (const [field, written] of found.fields) fields[field] = written.value;
      out[type] ??= {};
      out[type][id] = fields;
    }
  }
  return out;
}
