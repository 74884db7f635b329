import {
  cloneState,
  materialize,
  type Op,
  type SyncState,
  syncStateTarget,
} from "@syncline/protocol";
import { applySnapshotTo } from "./snapshot-apply.js";
import type { ClientStore, EntityFields, FailedOp, PendingOp, StoreTx } from "./store.js";
import type { SyncIssue } from "./transport.js";

interface QueuedOp {
  readonly op: Op;
  readonly attempts: number;
  readonly lastError: SyncIssue | null;
  readonly failed: boolean;
}

interface MemoryState {
  deviceId: string | undefined;
  lamport: number;
  cursor: number;
  queue: QueuedOp[];
  server: SyncState;
}

/**
 * A {@link ClientStore} in memory, for tests and examples: nothing survives
 * the process. A transaction works on a copy of the state and swaps it in
 * when `fn` returns, so a throw leaves nothing behind; the copy costs time in
 * proportion to the state, which suits small data sets. A transaction opened
 * inside another joins it.
 * @example
 * const client = createSyncClient({ store: new MemoryClientStore(), transport, token });
 */
export class MemoryClientStore implements ClientStore<undefined> {
  #state: MemoryState = {
    deviceId: undefined,
    lamport: 0,
    cursor: 0,
    queue: [],
    server: new Map(),
  };
  #open: StoreTx<undefined> | undefined;

  transaction<T>(fn: (tx: StoreTx<undefined>) => T): T {
    if (this.#open) return fn(this.#open);
    const work: MemoryState = {
      ...this.#state,
      queue: [...this.#state.queue],
      server: cloneState(this.#state.server),
    };
    this.#open = memoryTx(work);
    try {
      const result = fn(this.#open);
      this.#state = work;
      return result;
    } finally {
      this.#open = undefined;
    }
  }
}

function memoryTx(state: MemoryState): StoreTx<undefined> {
  const update = (operationIds: readonly string[], change: (queued: QueuedOp) => QueuedOp) => {
    const ids = new Set(operationIds);
    state.queue = state.queue.map((queued) =>
      ids.has(queued.op.operation_id) ? change(queued) : queued,
    );
  };
  const waiting = () => state.queue.filter((queued) => !queued.failed);
  const server = syncStateTarget(state.server);
  return {
    db: undefined,
    deviceId: () => state.deviceId,
    setDeviceId(deviceId) {
      state.deviceId = deviceId;
    },
    lamport: () => state.lamport,
    setLamport(value) {
      state.lamport = value;
    },
    cursor: () => state.cursor,
    setCursor(id) {
      state.cursor = id;
    },
    enqueue(op) {
      state.queue.push({ op, attempts: 0, lastError: null, failed: false });
    },
    pending: (limit): PendingOp[] =>
      waiting()
        .slice(0, limit)
        .map(({ op, attempts, lastError }) => ({ op, attempts, lastError })),
    pendingCount: () => waiting().length,
    pendingOf: (entityType, entityId) =>
      waiting()
        .map((queued) => queued.op)
        .filter(
          (op) =>
            op.entity_type === entityType && (entityId === undefined || op.entity_id === entityId),
        ),
    restamp(operationId, lamportTs) {
      update([operationId], (queued) => ({
        ...queued,
        op: { ...queued.op, lamport_ts: lamportTs },
      }));
    },
    recordAttempt(operationIds, error) {
      update(operationIds, (queued) => ({
        ...queued,
        attempts: queued.attempts + 1,
        lastError: error,
      }));
    },
    markFailed(operationId, error) {
      update([operationId], (queued) => ({
        ...queued,
        attempts: queued.attempts + 1,
        lastError: error,
        failed: true,
      }));
    },
    failed: (): FailedOp[] =>
      state.queue
        .filter((queued) => queued.failed)
        .map(({ op, attempts, lastError }) => ({ op, attempts, error: lastError! })),
    remove(operationIds) {
      const ids = new Set(operationIds);
      state.queue = state.queue.filter((queued) => !ids.has(queued.op.operation_id));
    },
    entities(entityType, entityId): EntityFields {
      const byId = state.server.get(entityType);
      if (!byId) return {};
      const one = entityId === undefined ? undefined : byId.get(entityId);
      const picked = entityId === undefined ? byId : new Map(one ? [[entityId, one]] : []);
      return materialize(new Map([[entityType, picked]]))[entityType] ?? {};
    },
    wipe() {
      state.server.clear();
      state.cursor = 0;
    },
    loadSnapshot(entities) {
      applySnapshotTo(server, entities);
    },
    ...server,
  };
}
