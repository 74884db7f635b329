import type { JsonValue, Op } from "@syncline/protocol";
import fc from "fast-check";
import { remove, upsert } from "./ops.js";

/**
 * The fields of one random write, for a property's step to spread into its
 * `fc.record`: an entity of two types and three ids, and an upsert of one of
 * two fields (4 in 5) or the entity's delete.
 */
export const randomWriteFields = {
  entityType: fc.constantFrom("playlist", "track"),
  entityId: fc.constantFrom("1", "2", "3"),
  action: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ field: fc.constantFrom("title", "cover"), value: fc.integer() }),
    },
    { weight: 1, arbitrary: fc.constant("delete" as const) },
  ),
};

/** One write as {@link randomWriteFields} makes it. */
export interface RandomWrite {
  readonly entityType: string;
  readonly entityId: string;
  readonly action: "delete" | { readonly field: string; readonly value: JsonValue };
}

/** The op of a random write, at `lamportTs`. */
export function opOfWrite(write: RandomWrite, lamportTs: number): Op {
  return write.action === "delete"
    ? remove(lamportTs, write.entityId, write.entityType)
    : upsert(lamportTs, write.entityId, write.action.field, write.action.value, write.entityType);
}
