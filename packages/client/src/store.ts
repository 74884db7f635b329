import type { JsonValue, LwwTarget, Op, SnapshotEntity } from "@syncline/protocol";
import type { SyncIssue } from "./transport.js";

/** A queued local op waiting to be pushed. */
export interface PendingOp {
  readonly op: Op;
  /** Pushes of this op that failed so far. */
  readonly attempts: number;
  /** Why the last push failed, or null. */
  readonly lastError: SyncIssue | null;
}

/** A local op the server refused; it is kept, visible, until dismissed. */
export interface FailedOp {
  readonly op: Op;
  /** Pushes of this op, the refused one included. */
  readonly attempts: number;
  /** The server's reason. */
  readonly error: SyncIssue;
}

/** Visible fields of entities: entity_id → field → value. */
export type EntityFields = Record<string, Record<string, JsonValue>>;

/**
 * One transaction of a {@link ClientStore}. Every method is synchronous, and
 * everything done through one `StoreTx` commits or rolls back together.
 *
 * As an `LwwTarget` it holds the server state: the op-derived fields and
 * tombstones that the protocol's `applyOpTo` maintains.
 */
export interface StoreTx<Db = unknown> extends LwwTarget {
  /** The app's handle on the same storage (e.g. the SQLite `Database`), to write its own tables. */
  readonly db: Db;

  /** This device's id, or undefined before the first start. */
  deviceId(): string | undefined;
  setDeviceId(deviceId: string): void;
  /** The persisted Lamport counter (0 before the first op). */
  lamport(): number;
  setLamport(value: number): void;
  /** Highest server op id applied (0: none). */
  cursor(): number;
  setCursor(id: number): void;

  /** Appends a local op to the queue as pending. */
  enqueue(op: Op): void;
  /** Pending ops in queue order: the first `limit` of them, or all. */
  pending(limit?: number): PendingOp[];
  /** How many ops are pending. */
  pendingCount(): number;
  /** Pending ops of one entity type (and entity, when given), in queue order. */
  pendingOf(entityType: string, entityId?: string): Op[];
  /** Gives a queued op a new `lamport_ts`; its place in the queue and its id stay. */
  restamp(operationId: string, lamportTs: number): void;
  /** Counts one failed push of each op and records why. */
  recordAttempt(operationIds: readonly string[], error: SyncIssue): void;
  /** Parks an op as failed (counting the attempt): it leaves the pending queue. */
  markFailed(operationId: string, error: SyncIssue): void;
  /** Ops parked as failed, in queue order. */
  failed(): FailedOp[];
  /** Removes ops from the queue, pending or failed. */
  remove(operationIds: readonly string[]): void;

  /** Visible server fields of one entity type (and entity, when given); deleted entities are absent. */
  entities(entityType: string, entityId?: string): EntityFields;
  /** Drops all op-derived state (fields, tombstones) and sets the cursor to 0; the queue stays. */
  wipe(): void;
  /**
   * Loads one page of `GET /sync/snapshot` into the server state: each field
   * with the id of the op that wrote it, as `setField` records it, and by the
   * reducer's rule for an upsert of that id (R48–R50): a field whose current
   * writer or entity tombstone is at or above the id stays as it is, so a
   * push confirmed while the pages load is never undone. After `wipe` that is
   * every field of the page. Runs at bulk speed (e.g. one prepared statement
   * for many rows); the cursor is left to the caller. `applySnapshotTo` is
   * the same rule over any `LwwTarget`.
   */
  loadSnapshot(entities: readonly SnapshotEntity[]): void;
}

/**
 * Where a device keeps its sync state: device id, Lamport counter, cursor,
 * pending-op queue and the server state derived from ops. Adapters implement
 * it (`MemoryClientStore` here, `SqliteClientStore` in
 * `@syncline/client-sqlite`); the sync engine never knows which.
 */
export interface ClientStore<Db = unknown> {
  /**
   * Runs `fn` in one transaction: all its writes commit together, or none
   * when it throws (the error is rethrown). `fn` must be synchronous. A call
   * from inside `fn` (e.g. from the `onApply` hook) joins the transaction
   * under way: it sees its writes and commits or rolls back with it.
   */
  transaction<T>(fn: (tx: StoreTx<Db>) => T): T;
}
