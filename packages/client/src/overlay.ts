import type { Op } from "@syncline/protocol";
import type { EntityFields } from "./store.js";

/**
 * What the user sees: the server state with this device's pending ops laid
 * over it in queue order (an upsert sets its field, a delete hides the
 * entity until a later upsert brings it back). Pure; neither input changes.
 * @param server visible server fields, entity_id → field → value
 * @param pending pending ops of the same entity type, in queue order
 */
export function overlayPending(server: EntityFields, pending: readonly Op[]): EntityFields {
  const out: EntityFields = { ...server };
  for (const op of pending) {
    if (op.op === "delete") delete out[op.entity_id];
    else out[op.entity_id] = { ...out[op.entity_id], [op.field]: op.value };
  }
  return out;
}
