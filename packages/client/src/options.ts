import type { JsonValue, Scheduler, StoredOp } from "@syncline/protocol";
import type { BackoffOptions } from "./backoff.js";
import type { ClientStore, EntityFields } from "./store.js";
import type { Transport } from "./transport.js";

/**
 * Server ops just applied to the store, as the `onApply` hook sees them. To
 * mirror what the user sees (server state plus this device's pending edits),
 * the hook writes `batch.read(op.entity_type, op.entity_id)` for each op, or
 * rebuilds from `batch.list(type)` on `reset`: both read inside the
 * transaction that applied the ops, so the hook never opens another.
 */
export interface AppliedBatch {
  /** Ops that changed the server state (won by last-writer-wins), in id order. */
  readonly ops: readonly StoredOp[];
  /**
   * True when the op-derived state was replaced (a first sync, 410 or
   * `resync()`): the app drops its op-derived rows and rebuilds them from
   * `batch.list(type)` for each of its types. When the new state came from a
   * snapshot (C13), `ops` is empty: the hook runs once, in the transaction
   * of the snapshot's last page, with the whole snapshot loaded. From a
   * server without snapshots, the state was wiped in this transaction and
   * `ops` is the first page of the re-pull.
   */
  readonly reset: boolean;
  /** One entity as the user sees it (server state plus pending ops), read in this transaction. */
  read(entityType: string, entityId: string): Record<string, JsonValue> | undefined;
  /** All entities of a type as the user sees them, read in this transaction. */
  list(entityType: string): EntityFields;
}

/** Options of `createSyncClient`. */
export interface SyncClientOptions<Db> {
  /** Where the device's state lives (`MemoryClientStore`, `SqliteClientStore`, …). */
  readonly store: ClientStore<Db>;
  /** How the server is reached, e.g. `createHttpTransport({ url })`. */
  readonly transport: Transport;
  /** The bearer token (JWT). Without one, requests get 401 and `refreshToken` is asked. */
  readonly token?: string | undefined;
  /**
   * Called once when a request gets 401; the request is retried once with
   * the token it returns. When it throws, or the new token is refused too,
   * the client enters `error` (`auth_required`) until `setAuth`.
   */
  readonly refreshToken?: () => string | Promise<string>;
  /**
   * Runs inside the store transaction that applied server ops (pulls,
   * socket frames, confirmations of this device's pushes), so an app's own
   * tables follow the synced state atomically. Must be synchronous.
   */
  readonly onApply?: (db: Db, batch: AppliedBatch) => void;
  /** Time source for every delay. @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Random numbers in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Makes `operation_id`s and the device id. @default UUID v7 */
  readonly newId?: () => string;
  /** `limit` of each pull. @default DEFAULT_PULL_LIMIT (1000) */
  readonly pullLimit?: number;
  /**
   * `limit` (fields) of each snapshot page, when a first sync or a reset
   * loads the state from `GET /sync/snapshot` (C13); 1..MAX_SNAPSHOT_LIMIT.
   * @default DEFAULT_SNAPSHOT_LIMIT (1000)
   */
  readonly snapshotLimit?: number;
  /** Backoff of push retries and reconnects. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
  /** Wait this long after applying ops before ACKing the highest id. @default 1000 */
  readonly ackDebounceMs?: number;
  /** Send a ping this often while the socket is open. @default 25_000 */
  readonly heartbeatIntervalMs?: number;
  /** Close the socket when nothing arrives this long after a ping. @default 10_000 */
  readonly heartbeatTimeoutMs?: number;
}
