import type { Op, StoredOp } from "@syncline/protocol";
import { type MutationState, MutationTracker, OpRejectedError } from "../mutation.js";
import type { SyncIssue } from "../transport.js";

/**
 * The registry of every outstanding mutation and its fate: which ops are in a
 * push that has not answered, and the tracker of each op's mutation.
 */
export class MutationRegistry {
  readonly #trackers = new Map<string, MutationTracker>();
  readonly #sent = new Set<string>();

  /** Starts following the ops one `mutate` call queued. */
  track(ops: readonly Op[]): MutationTracker {
    const tracker = new MutationTracker(ops);
    for (const op of ops) this.#trackers.set(op.operation_id, tracker);
    return tracker;
  }

  /** Where a tracker's ops are now. */
  stateOf(tracker: MutationTracker): MutationState {
    return tracker.state(this.#sent);
  }

  /** Whether any op is in a push that has not answered. */
  get inFlight(): boolean {
    return this.#sent.size > 0;
  }

  /** The ops of a push on its way. */
  markSent(operationIds: readonly string[]): void {
    for (const id of operationIds) this.#sent.add(id);
  }

  /** The push of these ops answered, or failed. */
  markAnswered(operationIds: readonly string[]): void {
    for (const id of operationIds) this.#sent.delete(id);
  }

  /** Resolves the mutations waiting for these stored ops. */
  confirm(stored: readonly StoredOp[]): void {
    for (const op of stored) {
      this.#trackers.get(op.operation_id)?.confirm(op);
      this.#trackers.delete(op.operation_id);
    }
  }

  /** Rejects the mutation of an op the server refused. */
  fail(op: Op, issue: SyncIssue): void {
    this.#trackers.get(op.operation_id)?.fail(new OpRejectedError(op, issue));
    this.#trackers.delete(op.operation_id);
  }
}
