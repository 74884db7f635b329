import {
  applyOpTo,
  type Cancel,
  closeRecovery,
  DEFAULT_PULL_LIMIT,
  type ErrorBody,
  invalidRequest,
  type JsonValue,
  type LamportConflictError,
  MAX_PUSH_OPS,
  type Op,
  OpSchema,
  type PushResponse,
  type Scheduler,
  type ServerFrame,
  type StoredOp,
  SyncError,
  systemScheduler,
} from "@syncline/protocol";
import { type BackoffOptions, backoffDelay } from "./backoff.js";
import { takeBatch } from "./batch.js";
import { receiveRemote, tickLocal } from "./lamport.js";
import { type Mutation, MutationTracker, type MutationTx, OpRejectedError } from "./mutation.js";
import { overlayPending } from "./overlay.js";

import type { ClientStore, EntityFields, FailedOp, StoreTx } from "./store.js";
import {
  type Credentials,
  issueOf,
  recoveryOf,
  type SyncIssue,
  type Transport,
  type TransportFailure,
  type TransportResult,
  type TransportSocket,
} from "./transport.js";
import { uuidv7 } from "./uuid-v7.js";

/**
 * - `offline`: not started, or the server is unreachable (a reconnect is scheduled).
 * - `connecting`: asking the server, no answer yet.
 * - `syncing`: the server answers; catching up, opening the socket or pushing.
 * - `synced`: socket open, caught up, nothing pending or in flight.
 * - `error`: the token was refused; nothing happens until `setAuth`.
 */
export type SyncClientState = "offline" | "connecting" | "syncing" | "synced" | "error";

/** A snapshot of the client, as `client.status` and the `onStatus` event give it. */
export interface SyncStatus {
  readonly state: SyncClientState;
  /** Local ops waiting to be pushed (in flight included, failed excluded). */
  readonly pendingCount: number;
  /** Local ops the server refused, with its reasons, until dismissed. */
  readonly failedOps: readonly FailedOp[];
  /** When (scheduler ms) the client last completed an exchange with the server, or null. */
  readonly lastSyncedAt: number | null;
  /** The most recent failure, cleared by the next successful request. */
  readonly lastError: SyncIssue | null;
}

/**
 * Server ops just applied to the store, as the `onApply` hook sees them. To
 * mirror what the user sees (server state plus this device's pending edits),
 * the hook can write `client.read(op.entity_type, op.entity_id)` for each op,
 * or rebuild from `client.list(type)` on `reset`: both read inside the same
 * transaction.
 */
export interface AppliedBatch {
  /** Ops that changed the server state (won by last-writer-wins), in id order. */
  readonly ops: readonly StoredOp[];
  /**
   * True when the op-derived state was wiped first, in the same transaction
   * (410 or `resync()`): the app drops its op-derived rows, and `ops` is
   * the whole state.
   */
  readonly reset: boolean;
}

/** Options of {@link createSyncClient}. */
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
  /** Backoff of push retries and reconnects. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
  /** Wait this long after applying ops before ACKing the highest id. @default 1000 */
  readonly ackDebounceMs?: number;
  /** Send a ping this often while the socket is open. @default 25_000 */
  readonly heartbeatIntervalMs?: number;
  /** Close the socket when nothing arrives this long after a ping. @default 10_000 */
  readonly heartbeatTimeoutMs?: number;
}

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

/** Restamps or resets in a row before the client falls back to backoff. */
const MAX_RECOVERIES = 3;

/**
 * 5xx answers in a row to pushes before the client asks whether the server
 * answers other requests; if it does, the batch itself makes it fail and is
 * bisected down to the op that is then parked (R38).
 */
const MAX_SERVER_FAILURES = 8;

/** The ops of a batch a rejection names (R38): by `issues[].path` `["ops", i, …]` or by `operation_id`. */
function namedOps(body: ErrorBody | null, ops: readonly Op[]): Op[] {
  if (body?.type === "operation_id_reused") {
    return ops.filter((op) => op.operation_id === body.operation_id);
  }
  if (body?.type !== "invalid_request") return [];
  const positions = new Set(
    body.issues.filter((issue) => issue.path[0] === "ops").map((issue) => issue.path[1]),
  );
  return ops.filter((_, i) => positions.has(i));
}

type TimerName = "drain" | "reconnect" | "ack" | "settle" | "ping" | "pong";

/**
 * Creates the sync engine of one device over a store and a transport.
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

class Engine<Db> implements SyncClient<Db> {
  readonly deviceId: string;
  readonly #store: ClientStore<Db>;
  readonly #transport: Transport;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #newId: () => string;
  readonly #options: SyncClientOptions<Db>;
  #token: string | undefined;
  #running = false;
  #authFailed = false;
  /** down: no socket; connecting: no answer yet; syncing: catching up / opening; open: socket open. */
  #link: "down" | "connecting" | "syncing" | "open" = "down";
  /** Id of the current connection attempt; events of older ones are ignored. */
  #connection = 0;
  #socket: TransportSocket | undefined;
  /** Serializes everything that applies server ops (pulls, frames, resets). */
  #inbound: Promise<unknown> = Promise.resolve();
  #inboundBusy = 0;
  #needsReset = false;
  #drainRun: Promise<void> | undefined;
  #drainRequested = false;
  #batchLimit = MAX_PUSH_OPS;
  #pushFailures = 0;
  /** 5xx answers to pushes in a row. */
  #serverFailures = 0;
  /** The server answers other requests but fails on the queue's head: bisect, then park. */
  #suspectBatch = false;
  #reconnectFailures = 0;
  #recoveries = 0;
  #acked = 0;
  #refreshing: Promise<boolean> | undefined;
  readonly #sent = new Set<string>();
  readonly #trackers = new Map<string, MutationTracker>();
  readonly #timers = new Map<TimerName, Cancel>();
  readonly #listeners = new Set<(status: SyncStatus) => void>();
  #pendingCount = 0;
  #failedOps: readonly FailedOp[] = [];
  #lastSyncedAt: number | null = null;
  #lastError: SyncIssue | null = null;
  #status: SyncStatus;

  constructor(options: SyncClientOptions<Db>) {
    this.#options = options;
    this.#store = options.store;
    this.#transport = options.transport;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#random = options.random ?? Math.random;
    this.#newId = options.newId ?? (() => uuidv7(this.#scheduler.now()));
    this.#token = options.token;
    this.deviceId = this.#store.transaction((tx) => {
      const existing = tx.deviceId();
      if (existing !== undefined) return existing;
      const created = this.#newId();
      tx.setDeviceId(created);
      return created;
    });
    this.#readQueue();
    this.#status = this.#computeStatus();
  }

  get status(): SyncStatus {
    return this.#status;
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  mutate<R>(fn: (tx: MutationTx<Db>) => R): Mutation<R> {
    const ops: Op[] = [];
    const result = this.#store.transaction((tx) => {
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
    const tracker = new MutationTracker(ops);
    for (const op of ops) this.#trackers.set(op.operation_id, tracker);
    this.#readQueue();
    this.#emit();
    if (ops.length > 0 && this.#running) void this.#drain();
    const sent = this.#sent;
    return {
      result,
      ops,
      confirmed: tracker.confirmed,
      get state() {
        return tracker.state(sent);
      },
    };
  }

  read(entityType: string, entityId: string): Record<string, JsonValue> | undefined {
    return this.#store.transaction((tx) =>
      overlayPending(tx.entities(entityType, entityId), tx.pendingOf(entityType, entityId)),
    )[entityId];
  }

  list(entityType: string): EntityFields {
    return this.#store.transaction((tx) =>
      overlayPending(tx.entities(entityType), tx.pendingOf(entityType)),
    );
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#emit();
    void this.#connect();
    void this.#drain();
  }

  async stop(): Promise<void> {
    if (this.#running && this.#link === "open") this.#ackOverSocket();
    this.#running = false;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#disconnect();
    this.#emit();
    await Promise.allSettled([this.#drainRun, this.#inbound]);
  }

  async syncNow(): Promise<void> {
    if (!this.#canSync()) return;
    this.#clearTimer("drain");
    const inbound = this.#link === "down" ? this.#connect() : this.#serial(() => this.#catchUp());
    await Promise.all([inbound?.catch((error) => this.#localFailure(error)), this.#drain()]);
  }

  async resync(): Promise<void> {
    if (!this.#canSync()) return;
    this.#needsReset = true;
    await this.#serial(() => this.#catchUp()).catch((error) => this.#localFailure(error));
    this.#clearTimer("drain");
    await this.#drain();
  }

  setAuth(token: string): void {
    this.#token = token;
    if (!this.#authFailed) return;
    this.#authFailed = false;
    this.#lastError = null;
    this.#emit();
    if (!this.#running) return;
    void this.#connect();
    void this.#drain();
  }

  dismissFailed(operationId: string): void {
    this.#store.transaction((tx) => {
      if (tx.failed().some(({ op }) => op.operation_id === operationId)) tx.remove([operationId]);
    });
    this.#readQueue();
    this.#emit();
  }

  // ---- status ----

  #computeStatus(): SyncStatus {
    return {
      state: this.#state(),
      pendingCount: this.#pendingCount,
      failedOps: this.#failedOps,
      lastSyncedAt: this.#lastSyncedAt,
      lastError: this.#lastError,
    };
  }

  #state(): SyncClientState {
    if (this.#authFailed) return "error";
    if (!this.#running || this.#link === "down") return "offline";
    if (this.#link !== "open") return this.#link;
    const busy = this.#pendingCount > 0 || this.#sent.size > 0 || this.#inboundBusy > 0;
    return busy ? "syncing" : "synced";
  }

  #emit(): void {
    const next = this.#computeStatus();
    const previous = this.#status;
    if (
      next.state === previous.state &&
      next.pendingCount === previous.pendingCount &&
      next.failedOps === previous.failedOps &&
      next.lastSyncedAt === previous.lastSyncedAt &&
      next.lastError === previous.lastError
    ) {
      return;
    }
    this.#status = next;
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #readQueue(): void {
    const [count, failed] = this.#store.transaction(
      (tx) => [tx.pendingCount(), tx.failed()] as const,
    );
    this.#pendingCount = count;
    const same =
      failed.length === this.#failedOps.length &&
      failed.every((f, i) => f.op.operation_id === this.#failedOps[i]!.op.operation_id);
    if (!same) this.#failedOps = failed;
  }

  #fail(issue: SyncIssue): void {
    this.#lastError = issue;
    this.#emit();
  }

  #localFailure(error: unknown): void {
    this.#fail({ type: "local", message: error instanceof Error ? error.message : String(error) });
  }

  // ---- timers ----

  #setTimer(name: TimerName, ms: number, callback: () => void): void {
    if (!this.#running) return;
    this.#timers.get(name)?.();
    this.#timers.set(
      name,
      this.#scheduler.schedule(ms, () => {
        this.#timers.delete(name);
        callback();
      }),
    );
  }

  #clearTimer(name: TimerName): void {
    this.#timers.get(name)?.();
    this.#timers.delete(name);
  }

  #backoff(failures: number): number {
    return backoffDelay(failures, this.#options.backoff ?? {}, this.#random());
  }

  // ---- requests ----

  #canSync(): boolean {
    return this.#running && !this.#authFailed;
  }

  #credentials(): Credentials {
    return { token: this.#token ?? "", deviceId: this.deviceId };
  }

  /** Sends a request; on 401 refreshes the token once and retries, else enters `error`. */
  async #call<T>(
    send: (credentials: Credentials) => Promise<TransportResult<T>>,
  ): Promise<TransportResult<T>> {
    let result = await send(this.#credentials());
    const refused = (r: TransportResult<T>) => !r.ok && recoveryOf(r.failure) === "reauthenticate";
    if (refused(result) && (await this.#refresh())) result = await send(this.#credentials());
    if (!result.ok && refused(result)) this.#enterAuthError(issueOf(result.failure));
    else if (result.ok && this.#lastError !== null) {
      this.#lastError = null;
      this.#emit();
    }
    return result;
  }

  #refresh(): Promise<boolean> {
    const refreshToken = this.#options.refreshToken;
    if (!refreshToken) return Promise.resolve(false);
    this.#refreshing ??= (async () => {
      await null;
      try {
        this.#token = await refreshToken();
        return true;
      } catch {
        return false;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #enterAuthError(issue: SyncIssue): void {
    if (this.#authFailed) return;
    this.#authFailed = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#disconnect();
    this.#fail(issue);
  }

  // ---- push ----

  /** Single-flight: one drain at a time; a request during a drain makes it look at the queue again. */
  #drain(): Promise<void> {
    this.#drainRequested = true;
    this.#drainRun ??= this.#runDrain();
    return this.#drainRun;
  }

  async #runDrain(): Promise<void> {
    await null;
    try {
      while (this.#drainRequested && this.#canPush()) {
        this.#drainRequested = false;
        await this.#pushQueue();
      }
    } finally {
      this.#drainRun = undefined;
      this.#emit();
    }
  }

  #canPush(): boolean {
    return this.#canSync() && !this.#timers.has("drain");
  }

  async #pushQueue(): Promise<void> {
    while (this.#canPush()) {
      const batch = this.#store.transaction((tx) =>
        takeBatch(tx.pending(this.#batchLimit), this.#batchLimit),
      );
      if (batch.length === 0) {
        this.#batchLimit = MAX_PUSH_OPS;
        this.#suspectBatch = false;
        return;
      }
      const ops = batch.map((pending) => pending.op);
      const ids = ops.map((op) => op.operation_id);
      for (const id of ids) this.#sent.add(id);
      this.#emit();
      let result: TransportResult<PushResponse>;
      try {
        result = await this.#call((credentials) => this.#transport.push(ops, credentials));
      } finally {
        for (const id of ids) this.#sent.delete(id);
      }
      if (result.ok) {
        const stored = result.value.ops;
        const matches =
          stored.length === ops.length && stored.every((op, i) => op.operation_id === ids[i]);
        if (!matches) {
          this.#retryPush(ids, {
            type: "protocol",
            message: "push answer does not match the batch",
          });
          return;
        }
        this.#confirm(stored);
        continue;
      }
      const failure = result.failure;
      const issue = issueOf(failure);
      switch (recoveryOf(failure)) {
        case "restamp":
          if (failure.type === "http" && failure.body?.type === "lamport_conflict") {
            if (this.#recoveries++ < MAX_RECOVERIES) {
              if (!this.#restamp(failure.body)) {
                // R43: the server's highest stamp for this device leaves no room above it.
                for (const op of ops) this.#park(op, issue);
              }
              continue;
            }
          }
          this.#retryPush(ids, issue);
          return;
        case "reset":
          if (this.#recoveries++ < MAX_RECOVERIES) {
            this.#needsReset = true;
            if (await this.#serial(() => this.#catchUp()).catch(() => false)) continue;
          }
          this.#retryPush(ids, issue);
          return;
        case "reauthenticate":
          return; // #call entered the auth error state
        case "reject": {
          // R38: park the ops the error names; without names, bisect (log2(n) pushes).
          const named = failure.type === "http" ? namedOps(failure.body, ops) : [];
          if (named.length > 0) {
            for (const op of named) this.#park(op, issue);
          } else if (batch.length > 1) {
            this.#batchLimit = Math.ceil(batch.length / 2);
          } else {
            this.#park(ops[0]!, issue);
          }
          continue;
        }
        case "retry":
          if (await this.#isPoisonBatch(failure)) {
            // R38: a batch the server keeps failing on while it answers other requests.
            if (batch.length > 1) {
              this.#batchLimit = Math.ceil(batch.length / 2);
            } else {
              this.#park(ops[0]!, {
                ...issue,
                message: `${issue.message} (the server keeps failing on this op while it answers other requests)`,
              });
              this.#serverFailures = 0;
              this.#suspectBatch = false;
            }
            continue;
          }
          this.#retryPush(ids, issue);
          return;
      }
    }
  }

  /**
   * Whether a push that got this failure should be split (or its single op
   * parked) instead of retried unchanged: after {@link MAX_SERVER_FAILURES}
   * 5xx answers in a row, and only while a pull still succeeds, so a server
   * outage never parks honest ops.
   */
  async #isPoisonBatch(failure: TransportFailure): Promise<boolean> {
    if (failure.type !== "http" || failure.status < 500) return false;
    this.#serverFailures++;
    if (!this.#suspectBatch && this.#serverFailures < MAX_SERVER_FAILURES) return false;
    const probe = await this.#call((c) =>
      this.#transport.pull({ since: this.#cursor(), limit: 1, resync: false }, c),
    );
    this.#suspectBatch = probe.ok || (probe.failure.type === "http" && probe.failure.status < 500);
    return this.#suspectBatch;
  }

  /** A push answered 200: merge the clock (R42), apply the rows, leave the queue (R46). */
  #confirm(stored: StoredOp[]): void {
    this.#store.transaction((tx) => {
      tx.setLamport(
        stored.reduce((clock, op) => receiveRemote(clock, op.lamport_ts), tx.lamport()),
      );
      this.#applyToState(tx, stored, false);
      tx.remove(stored.map((op) => op.operation_id));
    });
    this.#settle(stored);
    this.#pushFailures = 0;
    this.#serverFailures = 0;
    this.#recoveries = 0;
    this.#lastSyncedAt = this.#scheduler.now();
    this.#readQueue();
    this.#emit();
    // R28: the server sends a device no frame for its own ops, so only a pull
    // carries the cursor (and the ACK) past them; without it a device that
    // only pushes would hold compaction back forever.
    if (Math.max(...stored.map((op) => op.id)) > this.#cursor()) this.#scheduleSettle();
  }

  /**
   * Pulls from the cursor after the debounce, so the cursor passes this
   * device's own pushed ops. While the link is down, the reconnect's catch-up
   * does it instead.
   */
  #scheduleSettle(): void {
    if (this.#timers.has("settle")) return;
    this.#setTimer("settle", this.#options.ackDebounceMs ?? 1000, () => {
      if (this.#link === "down") return;
      this.#serial(() => this.#catchUp()).catch((error) => this.#localFailure(error));
    });
  }

  /** Resolves the mutations waiting for these stored ops. */
  #settle(stored: readonly StoredOp[]): void {
    for (const op of stored) {
      this.#trackers.get(op.operation_id)?.confirm(op);
      this.#trackers.delete(op.operation_id);
    }
  }

  /**
   * R47: `clock := max(clock, max_lamport_ts)`, then the offending op and
   * every pending op after it get `clock += 1` in queue order; ids stay.
   * @returns false, changing nothing, when the stamps would pass `MAX_LAMPORT_TS` (R43)
   */
  #restamp(conflict: LamportConflictError): boolean {
    try {
      this.#store.transaction((tx) => {
        let clock = Math.max(tx.lamport(), conflict.max_lamport_ts);
        const queue = tx.pending();
        const offending = queue.findIndex((p) => p.op.operation_id === conflict.operation_id);
        for (const { op } of queue.slice(Math.max(0, offending))) {
          clock = tickLocal(clock);
          tx.restamp(op.operation_id, clock);
        }
        tx.setLamport(clock);
      });
      return true;
    } catch (error) {
      if (error instanceof RangeError) return false;
      throw error;
    }
  }

  #retryPush(ids: readonly string[], issue: SyncIssue): void {
    this.#store.transaction((tx) => tx.recordAttempt(ids, issue));
    this.#setTimer("drain", this.#backoff(this.#pushFailures++), () => void this.#drain());
    this.#readQueue();
    this.#fail(issue);
  }

  #park(op: Op, issue: SyncIssue): void {
    this.#store.transaction((tx) => tx.markFailed(op.operation_id, issue));
    this.#trackers.get(op.operation_id)?.fail(new OpRejectedError(op, issue));
    this.#trackers.delete(op.operation_id);
    this.#batchLimit = MAX_PUSH_OPS;
    this.#readQueue();
    this.#emit();
  }

  // ---- inbound ----

  #serial<T>(task: () => T | Promise<T>): Promise<T> {
    this.#inboundBusy++;
    const run = this.#inbound.then(task).finally(() => {
      this.#inboundBusy--;
      this.#emit();
    });
    this.#inbound = run.catch(() => undefined);
    return run;
  }

  #cursor(): number {
    return this.#store.transaction((tx) => tx.cursor());
  }

  /** Catch up by pull, then open the socket from the cursor; on failure, reconnect with backoff. */
  #connect(): Promise<boolean> | undefined {
    if (!this.#canSync() || this.#link !== "down") return undefined;
    this.#clearTimer("reconnect");
    this.#link = "connecting";
    this.#emit();
    const connection = ++this.#connection;
    return this.#serial(() => this.#catchUp()).then(
      (ok) => this.#openSocket(connection, ok),
      (error) => {
        this.#localFailure(error);
        return this.#openSocket(connection, false);
      },
    );
  }

  #openSocket(connection: number, caughtUp: boolean): boolean {
    if (connection !== this.#connection) return caughtUp;
    if (!caughtUp) {
      this.#link = "down";
      this.#scheduleReconnect();
      this.#emit();
      return false;
    }
    this.#socket = this.#transport.connect(this.#cursor(), this.#credentials(), {
      open: () => {
        if (connection !== this.#connection) return;
        this.#link = "open";
        this.#heartbeat();
        this.#scheduleAck();
        this.#emit();
        void this.#drain();
      },
      frame: (frame) => {
        if (connection === this.#connection) this.#onFrame(connection, frame);
      },
      close: (reason, code) => {
        if (connection !== this.#connection) return;
        this.#disconnect();
        if (closeRecovery(code) === "stop") {
          // R35: the server refused a frame of ours; reconnecting would loop.
          this.#fail({ type: "protocol", message: reason });
          return;
        }
        this.#scheduleReconnect();
        this.#fail({ type: "network", message: reason });
      },
    });
    return true;
  }

  /** Forgets the current socket (closing it); its late events are ignored. */
  #disconnect(): void {
    this.#connection++;
    this.#socket?.close();
    this.#socket = undefined;
    this.#link = "down";
    this.#clearTimer("ping");
    this.#clearTimer("pong");
  }

  #scheduleReconnect(): void {
    if (!this.#canSync()) return;
    this.#setTimer("reconnect", this.#backoff(this.#reconnectFailures++), () => {
      void this.#connect();
    });
  }

  #heartbeat(): void {
    this.#setTimer("ping", this.#options.heartbeatIntervalMs ?? 25_000, () => {
      this.#socket?.send({ type: "ping" });
      if (!this.#timers.has("pong")) {
        this.#setTimer("pong", this.#options.heartbeatTimeoutMs ?? 10_000, () => {
          this.#disconnect();
          this.#scheduleReconnect();
          this.#fail({ type: "network", message: "heartbeat timed out: no frame after a ping" });
        });
      }
      this.#heartbeat();
    });
  }

  #onFrame(connection: number, frame: ServerFrame): void {
    this.#clearTimer("pong");
    if (frame.type === "resync_required") {
      // Reconnect through a full re-pull, with backoff: a server that keeps
      // asking must not get a tight loop.
      this.#needsReset = true;
      this.#disconnect();
      this.#scheduleReconnect();
      this.#emit();
      return;
    }
    // Only a socket that delivers is healthy enough to reset the reconnect backoff.
    this.#reconnectFailures = 0;
    if (frame.type === "ops") {
      this.#serial(() => {
        // Frames queued behind a failure or a reconnect are left to the next catch-up.
        if (connection !== this.#connection) return;
        this.#applyRemote(frame.ops, false);
        this.#lastSyncedAt = this.#scheduler.now();
      }).catch((error) => {
        this.#localFailure(error);
        if (connection !== this.#connection) return;
        this.#disconnect();
        this.#scheduleReconnect();
      });
    }
  }

  /**
   * Pulls from the cursor to the end. When a reset is due (410, a
   * `resync_required` frame, `resync()`), follows R63 instead: pull from 0,
   * wiping the op-derived state in the transaction of the first page, then
   * apply (and ACK) page by page; pending ops stay and are laid on top.
   */
  async #catchUp(): Promise<boolean> {
    for (let restarts = 0; ; restarts++) {
      const reset = this.#needsReset;
      let wipe = reset;
      const outcome = await this.#pullAll(reset ? 0 : this.#cursor(), (ops) => {
        this.#applyRemote(ops, wipe);
        wipe = false;
      });
      if (outcome !== "reset") {
        if (outcome && reset) this.#needsReset = false;
        return outcome;
      }
      this.#needsReset = true;
      if (restarts >= MAX_RECOVERIES) return false;
    }
  }

  /**
   * Pulls pages from `since` until `has_more` is false, handing each to
   * `take`. Pages after the first of a pull from 0 say `resync`, so the
   * watermark guard lets them through.
   * @returns true when done, `"reset"` on a 410, false on another failure
   */
  async #pullAll(since: number, take: (ops: StoredOp[]) => void): Promise<boolean | "reset"> {
    const limit = this.#options.pullLimit ?? DEFAULT_PULL_LIMIT;
    let from = since;
    for (;;) {
      if (!this.#running) return false;
      const query = { since: from, limit, resync: since === 0 && from > 0 };
      const result = await this.#call((c) => this.#transport.pull(query, c));
      if (!result.ok) {
        const recovery = recoveryOf(result.failure);
        if (recovery === "reset") return "reset";
        if (recovery !== "reauthenticate") this.#fail(issueOf(result.failure));
        return false;
      }
      if (this.#link === "connecting") this.#link = "syncing";
      const { ops, has_more } = result.value;
      take(ops);
      if (!has_more) break;
      const last = ops.at(-1)?.id ?? 0;
      if (last <= from) {
        this.#fail({ type: "protocol", message: "pull said has_more without returning ops" });
        return false;
      }
      from = last;
    }
    this.#lastSyncedAt = this.#scheduler.now();
    this.#emit();
    return true;
  }

  /**
   * Applies server ops in one transaction: skip ids at or below the cursor
   * (already applied: pull and socket overlap), merge the clock, apply by
   * last-writer-wins, advance the cursor; with `reset`, wipe first.
   */
  #applyRemote(ops: readonly StoredOp[], reset: boolean): void {
    if (ops.length === 0 && !reset) return;
    const [advanced, mine] = this.#store.transaction((tx) => {
      if (reset) tx.wipe();
      const cursor = tx.cursor();
      let last = cursor;
      let clock = tx.lamport();
      const fresh: StoredOp[] = [];
      for (const op of ops) {
        if (op.id <= last) continue;
        last = op.id;
        clock = receiveRemote(clock, op.lamport_ts);
        fresh.push(op);
      }
      if (last > cursor) {
        tx.setCursor(last);
        tx.setLamport(clock);
      }
      this.#applyToState(tx, fresh, reset);
      // R46: this device's own ops, seen in the log, leave the queue (e.g. a lost push response).
      const own = fresh.filter((op) => op.device_id === this.deviceId);
      tx.remove(own.map((op) => op.operation_id));
      return [last > cursor, own] as const;
    });
    if (mine.length > 0) {
      this.#settle(mine);
      this.#readQueue();
    }
    if (advanced) this.#scheduleAck();
  }

  /** Applies ops to the server state with the protocol's rule and tells the app what changed. */
  #applyToState(tx: StoreTx<Db>, ops: readonly StoredOp[], reset: boolean): void {
    const changed = ops.filter((op) => applyOpTo(tx, op));
    if (changed.length > 0 || reset) this.#options.onApply?.(tx.db, { ops: changed, reset });
  }

  // ---- ack ----

  #scheduleAck(): void {
    if (this.#timers.has("ack")) return;
    this.#setTimer("ack", this.#options.ackDebounceMs ?? 1000, () => void this.#sendAck());
  }

  async #sendAck(): Promise<void> {
    if (!this.#canSync()) return;
    if (this.#link === "open") return this.#ackOverSocket();
    const cursor = this.#cursor();
    if (cursor <= this.#acked) return;
    const result = await this.#call((c) => this.#transport.ack(cursor, c));
    if (result.ok) this.#acked = Math.max(this.#acked, cursor);
  }

  #ackOverSocket(): void {
    const cursor = this.#cursor();
    if (cursor <= this.#acked || !this.#socket) return;
    this.#socket.send({ ack: cursor });
    this.#acked = cursor;
  }
}
