import { type Op, SyncError } from "@syncline/protocol";

/**
 * The `SyncError`s every store throws for the log's rules, one constructor
 * each, so every `SyncStore` answers the same violation with the same body.
 */

/** R16: a new op whose `lamport_ts` is not above the device's highest. */
export function lamportConflict(op: Op, deviceId: string, maxLamportTs: number): SyncError {
  return new SyncError({
    type: "lamport_conflict",
    message: `lamport_ts ${op.lamport_ts} of operation ${op.operation_id} is not above ${maxLamportTs}, the highest lamport_ts of device ${deviceId} (stored or earlier in the batch); nothing of the batch was stored`,
    max_lamport_ts: maxLamportTs,
    operation_id: op.operation_id,
  });
}

/** R15: a stored `operation_id` came back with other content. */
export function operationIdReused(operationId: string): SyncError {
  return new SyncError({
    type: "operation_id_reused",
    message: `operation_id ${operationId} is already stored with a different entity_type, entity_id, op, field or value; a retry may change only lamport_ts`,
    operation_id: operationId,
  });
}

/** R22: a pull from inside the compacted range. */
export function resyncRequired(since: number, compactedUpTo: number): SyncError {
  return new SyncError({
    type: "resync_required",
    message: `ops after ${since} were compacted up to ${compactedUpTo}: wipe op-derived state and pull from 0`,
    compacted_up_to: compactedUpTo,
  });
}

/** R27: an ACK above the user's head. */
export function ackAboveHead(lastSeenId: number, head: number): SyncError {
  const message = `last_seen_id ${lastSeenId} is above the highest op id of this user (${head})`;
  return new SyncError({
    type: "invalid_request",
    message,
    issues: [{ path: ["last_seen_id"], message: `must be at most ${head}`, code: "too_big" }],
  });
}

/** R73: a snapshot cursor whose `as_of` is above the user's head (not a cursor of this user's log). */
export function snapshotAheadOfHead(asOf: number, head: number): SyncError {
  const message = `the snapshot cursor's as_of ${asOf} is above the highest op id of this user (${head})`;
  return new SyncError({
    type: "invalid_request",
    message,
    issues: [{ path: ["cursor"], message: `as_of must be at most ${head}`, code: "too_big" }],
  });
}
