import {
  invalidRequest,
  type JsonValue,
  type Op,
  OpSchema,
  type Scheduler,
  SyncError,
  systemScheduler,
} from "@syncline/protocol";
import { Acks } from "./engine/acks.js";
import { Connection } from "./engine/connection.js";
import type { EngineContext } from "./engine/context.js";
import { Inbound } from "./engine/inbound.js";
import { MutationRegistry } from "./engine/mutations.js";
import { Pusher } from "./engine/pusher.js";
import { Requests } from "./engine/requests.js";
import {
  StatusPublisher,
  type SyncClientState,
  SyncHealth,
  type SyncStatus,
} from "./engine/status.js";
import { Timers } from "./engine/timers.js";
import { tickLocal } from "./lamport.js";
import type { Mutation, MutationTx } from "./mutation.js";
import type { SyncClientOptions } from "./options.js";
import { overlayPending } from "./overlay.js";
import type { ClientStore, EntityFields, FailedOp } from "./store.js";
import type { SyncIssue, Transport } from "./transport.js";
import { uuidv7 } from "./uuid-v7.js";

export type { SyncClientState, SyncStatus } from "./engine/status.js";
export type { AppliedBatch, SyncClientOptions } from "./options.js";

/** The sync engine of one device. */
export interface SyncClient<Db> {
  /** This device's id (made and stored on first use). */
  readonly deviceId: string;
  /** The current status. */
  readonly status: SyncStatus;
  /** Calls `listener` with each new status; returns the unsubscribe function. */
  onStatus(listener: (status: SyncStatus) => void): () => void;
  /**
   * Runs `fn` in one store transaction with the op writers: the app's own
   * writes, the Lamport stamps and the queued ops commit together or not at
   * all. `fn` must be synchronous; when it throws, nothing is queued and the
   * error is rethrown.
   * @example
   * const { confirmed } = client.mutate((tx) => tx.upsert("note", "n1", "title", "Hi"));
   * const [stored] = await confirmed; // stored.id is the server id
   */
  mutate<R>(fn: (tx: MutationTx<Db>) => R): Mutation<R>;
  /** One entity as the user sees it: server state plus this device's pending ops; undefined when absent. */
  read(entityType: string, entityId: string): Record<string, JsonValue> | undefined;
  /** All entities of a type as the user sees them: entity_id → field → value. */
  list(entityType: string): EntityFields;
  /** Starts syncing: catch up, open the socket, push the queue. */
  start(): void;
  /** Stops syncing (ACKing over the open socket first) and waits for requests under way. */
  stop(): Promise<void>;
  /** Retries now, skipping backoff: pulls to the end and pushes the queue. No-op unless started. */
  syncNow(): Promise<void>;
  /** Wipes the op-derived state and pulls everything again; pending ops stay. No-op unless started. */
  resync(): Promise<void>;
  /** Sets the token and, after an `auth_required` error, resumes. */
  setAuth(token: string): void;
  /** Drops a failed op from the queue (pending ops are never dropped). */
  dismissFailed(operationId: string): void;
}

/**
 * Creates the sync engine of one device over a store and a transport. The
 * engine is a facade over its parts (`src/engine/`): the connection, the
 * pusher, the inbound queue, the ACKs, the requests and the mutation
 * registry; `packages/client/SPEC.md` states their states and rules.
 * @example
 * const client = createSyncClient({
 *   store: new MemoryClientStore(),
 *   transport: createHttpTransport({ url: "http://localhost:8787" }),
 *   token,
 * });
 * client.start();
 * client.mutate((tx) => tx.upsert("note", "n1", "title", "Hello"));
 */
export function createSyncClient<Db>(options: SyncClientOptions<Db>): SyncClient<Db> {
  return new Engine(options);
}

class Engine<Db> implements SyncClient<Db>, EngineContext<Db> {
  readonly options: SyncClientOptions<Db>;
  readonly store: ClientStore<Db>;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly deviceId: string;
  readonly timers: Timers;
  readonly health = new SyncHealth();
  readonly mutations = new MutationRegistry();
  readonly requests: Requests;
  readonly pusher: Pusher<Db>;
  readonly inbound: Inbound<Db>;
  readonly connection: Connection<Db>;
  readonly acks: Acks<Db>;
  readonly #newId: () => string;
  readonly #status: StatusPublisher;
  running = false;
  #pendingCount = 0;
  #failedOps: readonly FailedOp[] = [];

  constructor(options: SyncClientOptions<Db>) {
    this.options = options;
    this.store = options.store;
    this.transport = options.transport;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.random = options.random ?? Math.random;
    this.#newId = options.newId ?? (() => uuidv7(this.scheduler.now()));
    this.deviceId = this.store.transaction((tx) => {
      const existing = tx.deviceId();
      if (existing !== undefined) return existing;
      const created = this.#newId();
      tx.setDeviceId(created);
      return created;
    });
    this.timers = new Timers(this.scheduler, () => this.running);
    this.requests = new Requests(this.deviceId, options.token, options.refreshToken, {
      succeeded: () => {
        if (this.health.lastError === null) return;
        this.health.lastError = null;
        this.refreshStatus();
      },
      refused: (issue) => {
        this.timers.clearAll();
        this.connection.disconnect();
        this.fail(issue);
      },
    });
    this.pusher = new Pusher(this);
    this.inbound = new Inbound(this);
    this.connection = new Connection(this);
    this.acks = new Acks(this);
    this.readQueue();
    this.#status = new StatusPublisher(() => this.#deriveStatus());
  }

  // ---- the public surface ----

  get status(): SyncStatus {
    return this.#status.current;
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.#status.subscribe(listener);
  }

  mutate<R>(fn: (tx: MutationTx<Db>) => R): Mutation<R> {
    const ops: Op[] = [];
    const result = this.store.transaction((tx) => {
      const stamp = (fields: Omit<Op, "operation_id" | "lamport_ts">): Op => {
        const lamport = tickLocal(tx.lamport());
        const parsed = OpSchema.safeParse({
          ...fields,
          operation_id: this.#newId(),
          lamport_ts: lamport,
        });
        if (!parsed.success) throw new SyncError(invalidRequest(parsed.error, "op"));
        tx.setLamport(lamport);
        tx.enqueue(parsed.data);
        ops.push(parsed.data);
        return parsed.data;
      };
      const out = fn({
        db: tx.db,
        upsert: (entity_type, entity_id, field, value) =>
          stamp({ entity_type, entity_id, op: "upsert", field, value }),
        delete: (entity_type, entity_id) =>
          stamp({ entity_type, entity_id, op: "delete", field: null, value: null }),
      });
      if (out instanceof Promise) throw new TypeError("mutate callbacks must be synchronous");
      return out;
    });
    const tracker = this.mutations.track(ops);
    this.readQueue();
    this.refreshStatus();
    if (ops.length > 0 && this.running) void this.pusher.drain();
    const mutations = this.mutations;
    return {
      result,
      ops,
      confirmed: tracker.confirmed,
      get state() {
        return mutations.stateOf(tracker);
      },
    };
  }

  read(entityType: string, entityId: string): Record<string, JsonValue> | undefined {
    return this.store.transaction((tx) =>
      overlayPending(tx.entities(entityType, entityId), tx.pendingOf(entityType, entityId)),
    )[entityId];
  }

  list(entityType: string): EntityFields {
    return this.store.transaction((tx) =>
      overlayPending(tx.entities(entityType), tx.pendingOf(entityType)),
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.refreshStatus();
    void this.connection.connect();
    void this.pusher.drain();
  }

  async stop(): Promise<void> {
    if (this.running && this.connection.link.kind === "open") this.acks.overSocket();
    this.running = false;
    this.timers.clearAll();
    this.connection.disconnect();
    this.refreshStatus();
    await Promise.allSettled([this.pusher.running, this.inbound.idle]);
  }

  async syncNow(): Promise<void> {
    if (!this.canSync()) return;
    this.pusher.skipBackoff();
    const inbound = this.connection.isDown ? this.connection.connect() : this.inbound.catchUp();
    await Promise.all([inbound?.catch((error) => this.localFailure(error)), this.pusher.drain()]);
  }

  async resync(): Promise<void> {
    if (!this.canSync()) return;
    this.inbound.needsReset = true;
    await this.inbound.catchUp().catch((error) => this.localFailure(error));
    this.pusher.skipBackoff();
    await this.pusher.drain();
  }

  setAuth(token: string): void {
    if (!this.requests.setToken(token)) return;
    this.health.lastError = null;
    this.refreshStatus();
    if (!this.running) return;
    void this.connection.connect();
    void this.pusher.drain();
  }

  dismissFailed(operationId: string): void {
    this.store.transaction((tx) => {
      if (tx.failed().some(({ op }) => op.operation_id === operationId)) tx.remove([operationId]);
    });
    this.readQueue();
    this.refreshStatus();
  }

  // ---- what the parts share (EngineContext) ----

  canSync(): boolean {
    return this.running && !this.requests.refused;
  }

  readQueue(): void {
    const [count, failed] = this.store.transaction(
      (tx) => [tx.pendingCount(), tx.failed()] as const,
    );
    this.#pendingCount = count;
    const same =
      failed.length === this.#failedOps.length &&
      failed.every((f, i) => f.op.operation_id === this.#failedOps[i]!.op.operation_id);
    if (!same) this.#failedOps = failed;
  }

  refreshStatus(): void {
    this.#status?.refresh();
  }

  fail(issue: SyncIssue): void {
    this.health.lastError = issue;
    this.refreshStatus();
  }

  localFailure(error: unknown): void {
    this.fail({ type: "local", message: error instanceof Error ? error.message : String(error) });
  }

  #deriveStatus(): SyncStatus {
    return {
      state: this.#state(),
      pendingCount: this.#pendingCount,
      failedOps: this.#failedOps,
      lastSyncedAt: this.health.lastSyncedAt,
      lastError: this.health.lastError,
      catchUp: this.inbound.progress,
    };
  }

  #state(): SyncClientState {
    if (this.requests.refused) return "error";
    const link = this.connection.link.kind;
    if (!this.running || link === "down") return "offline";
    if (link !== "open") return link;
    const busy = this.#pendingCount > 0 || this.mutations.inFlight || this.inbound.busy;
    return busy ? "syncing" : "synced";
  }
}
