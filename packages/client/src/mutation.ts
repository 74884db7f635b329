import type { JsonValue, Op, StoredOp } from "@syncline/protocol";
import type { SyncIssue } from "./transport.js";

/** What a mutation callback gets: the app's storage handle and the op writers. */
export interface MutationTx<Db> {
  /** The store's handle (e.g. the SQLite `Database`): write the app's own tables here. */
  readonly db: Db;
  /** Stamps and queues an upsert of one field; returns the op. @throws SyncError (`invalid_request`) for an op the protocol refuses */
  upsert(entityType: string, entityId: string, field: string, value: JsonValue): Op;
  /** Stamps and queues the delete (tombstone) of an entity; returns the op. @throws SyncError (`invalid_request`) */
  delete(entityType: string, entityId: string): Op;
}

/**
 * Where a mutation's ops are: `pending` in the queue, `sent` in a push that
 * has not answered, `confirmed` once the server stored all of them, or
 * `failed` once the server refused one.
 */
export type MutationState = "pending" | "sent" | "confirmed" | "failed";

/** The handle `mutate` returns. */
export interface Mutation<R> {
  /** What the callback returned. */
  readonly result: R;
  /** The ops the callback queued, in order. */
  readonly ops: readonly Op[];
  /** Where the ops are now. */
  readonly state: MutationState;
  /**
   * Resolves with the stored ops (server ids) once the server stored all of
   * them; rejects with an {@link OpRejectedError} when one is parked as
   * failed. Never rejects for a transient failure: those are retried.
   */
  readonly confirmed: Promise<readonly StoredOp[]>;
}

/** The server refused an op (a 4xx other than 401/409 lamport/410); it was parked as failed. */
export class OpRejectedError extends Error {
  override readonly name = "OpRejectedError";
  /** Discriminant for callers that switch on errors. */
  readonly type = "op_rejected";
  /** The refused op. */
  readonly op: Op;
  /** The server's reason. */
  readonly issue: SyncIssue;

  constructor(op: Op, issue: SyncIssue) {
    super(`op ${op.operation_id} was rejected: ${issue.message}`);
    this.op = op;
    this.issue = issue;
  }
}

/** Follows one mutation's ops until all are confirmed or one fails. */
export class MutationTracker {
  readonly ops: readonly Op[];
  readonly confirmed: Promise<readonly StoredOp[]>;
  #stored = new Map<string, StoredOp>();
  #failed = false;
  #resolve!: (ops: readonly StoredOp[]) => void;
  #reject!: (error: OpRejectedError) => void;

  constructor(ops: readonly Op[]) {
    this.ops = ops;
    this.confirmed = new Promise<readonly StoredOp[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // An app that ignores `confirmed` must not get an unhandled rejection.
    this.confirmed.catch(() => {});
    if (ops.length === 0) this.#resolve([]);
  }

  /** Where the ops are, given the ids of ops in a push that has not answered. */
  state(sent: ReadonlySet<string>): MutationState {
    if (this.#failed) return "failed";
    if (this.#stored.size === this.ops.length) return "confirmed";
    return this.ops.some((op) => sent.has(op.operation_id)) ? "sent" : "pending";
  }

  /** Records the server's row for one of the ops. */
  confirm(stored: StoredOp): void {
    this.#stored.set(stored.operation_id, stored);
    if (this.#stored.size === this.ops.length) {
      this.#resolve(this.ops.map((op) => this.#stored.get(op.operation_id)!));
    }
  }

  /** Records that one of the ops was parked as failed. */
  fail(error: OpRejectedError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#reject(error);
  }
}
