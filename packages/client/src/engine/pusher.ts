import {
  type ErrorBody,
  type LamportConflictError,
  MAX_PUSH_OPS,
  type Op,
  type PushResponse,
  type StoredOp,
} from "@syncline/protocol";
import { takeBatch } from "../batch.js";
import { receiveRemote, tickLocal } from "../lamport.js";
import {
  issueOf,
  recoveryOf,
  type SyncIssue,
  type TransportFailure,
  type TransportResult,
} from "../transport.js";
import type { EngineContext } from "./context.js";
import { RetryCounter } from "./retry.js";

/** Restamps or resets in a row before the client falls back to backoff. */
export const MAX_RECOVERIES = 3;

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

/**
 * The push part: drains the pending queue in batches (single flight),
 * confirms what the server stored (R46), restamps after a 409 (R47), resets
 * after a 410 (R63), parks what the server refuses and bisects a batch it
 * keeps failing on (R38), and backs off on transient failures.
 */
export class Pusher<Db> {
  readonly #ctx: EngineContext<Db>;
  readonly #retries: RetryCounter;
  #run: Promise<void> | undefined;
  #requested = false;
  #batchLimit = MAX_PUSH_OPS;
  /** 5xx answers to pushes in a row. */
  #serverFailures = 0;
  /** The server answers other requests but fails on the queue's head: bisect, then park. */
  #suspectBatch = false;
  #recoveries = 0;

  constructor(ctx: EngineContext<Db>) {
    this.#ctx = ctx;
    this.#retries = new RetryCounter(ctx.options.backoff ?? {}, ctx.random);
  }

  /** The drain under way, if any (stop waits for it). */
  get running(): Promise<void> | undefined {
    return this.#run;
  }

  /** Single flight: one drain at a time; a request during a drain makes it look at the queue again. */
  drain(): Promise<void> {
    this.#requested = true;
    this.#run ??= this.#drainLoop();
    return this.#run;
  }

  /** Skips the backoff wait of the next drain. */
  skipBackoff(): void {
    this.#ctx.timers.clear("drain");
  }

  async #drainLoop(): Promise<void> {
    await null;
    try {
      while (this.#requested && this.#canPush()) {
        this.#requested = false;
        await this.#pushQueue();
      }
    } catch (error) {
      // Never an unhandled rejection that ends the app: report it, try again later.
      this.#ctx.localFailure(error);
    } finally {
      this.#run = undefined;
      this.#ctx.refreshStatus();
    }
  }

  #canPush(): boolean {
    return this.#ctx.canSync() && !this.#ctx.timers.has("drain");
  }

  async #pushQueue(): Promise<void> {
    const ctx = this.#ctx;
    while (this.#canPush()) {
      const batch = ctx.store.transaction((tx) =>
        takeBatch(tx.pending(this.#batchLimit), this.#batchLimit),
      );
      if (batch.length === 0) {
        this.#batchLimit = MAX_PUSH_OPS;
        this.#suspectBatch = false;
        return;
      }
      const ops = batch.map((pending) => pending.op);
      const ids = ops.map((op) => op.operation_id);
      ctx.mutations.markSent(ids);
      ctx.refreshStatus();
      let result: TransportResult<PushResponse>;
      try {
        result = await ctx.requests.call((credentials) => ctx.transport.push(ops, credentials));
      } finally {
        ctx.mutations.markAnswered(ids);
      }
      if (result.ok) {
        const stored = result.value.ops;
        const matches =
          stored.length === ops.length && stored.every((op, i) => op.operation_id === ids[i]);
        if (!matches) {
          this.#retryLater(ids, {
            type: "protocol",
            message: "push answer does not match the batch",
          });
          return;
        }
        try {
          this.#confirm(stored);
        } catch (error) {
          // The store or the app's onApply failed: the confirmation rolled back
          // and the ops stay queued. Push them again after the backoff; the
          // server answers them as duplicates (R14) and the confirm is retried.
          const message = error instanceof Error ? error.message : String(error);
          this.#retryLater(ids, { type: "local", message });
          return;
        }
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
          this.#retryLater(ids, issue);
          return;
        case "reset":
          if (this.#recoveries++ < MAX_RECOVERIES && (await ctx.inbound.reset())) continue;
          this.#retryLater(ids, issue);
          return;
        case "reauthenticate":
          return; // the request part reported the refusal
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
          this.#retryLater(ids, issue);
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
    const ctx = this.#ctx;
    const probe = await ctx.requests.call((c) =>
      ctx.transport.pull({ since: ctx.inbound.cursor(), limit: 1, resync: false }, c),
    );
    this.#suspectBatch = probe.ok || (probe.failure.type === "http" && probe.failure.status < 500);
    return this.#suspectBatch;
  }

  /** A push answered 200: merge the clock (R42), apply the rows, leave the queue (R46). */
  #confirm(stored: StoredOp[]): void {
    const ctx = this.#ctx;
    ctx.store.transaction((tx) => {
      tx.setLamport(
        stored.reduce((clock, op) => receiveRemote(clock, op.lamport_ts), tx.lamport()),
      );
      ctx.inbound.applyToState(tx, stored, false);
      tx.remove(stored.map((op) => op.operation_id));
    });
    ctx.mutations.confirm(stored);
    this.#retries.reset();
    this.#serverFailures = 0;
    this.#recoveries = 0;
    ctx.health.lastSyncedAt = ctx.scheduler.now();
    ctx.readQueue();
    ctx.refreshStatus();
    // R28: the server sends a device no frame for its own ops, so only a pull
    // carries the cursor (and the ACK) past them; without it a device that
    // only pushes would hold compaction back forever.
    if (Math.max(...stored.map((op) => op.id)) > ctx.inbound.cursor()) {
      ctx.inbound.scheduleCatchUp();
    }
  }

  /**
   * R47: `clock := max(clock, max_lamport_ts)`, then the offending op and
   * every pending op after it get `clock += 1` in queue order; ids stay.
   * @returns false, changing nothing, when the stamps would pass `MAX_LAMPORT_TS` (R43)
   */
  #restamp(conflict: LamportConflictError): boolean {
    try {
      this.#ctx.store.transaction((tx) => {
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

  /** Counts the failed attempt on the ops and drains again after the backoff. */
  #retryLater(ids: readonly string[], issue: SyncIssue): void {
    const ctx = this.#ctx;
    ctx.store.transaction((tx) => tx.recordAttempt(ids, issue));
    ctx.timers.set("drain", this.#retries.nextDelay(), () => void this.drain());
    ctx.readQueue();
    ctx.fail(issue);
  }

  #park(op: Op, issue: SyncIssue): void {
    const ctx = this.#ctx;
    ctx.store.transaction((tx) => tx.markFailed(op.operation_id, issue));
    ctx.mutations.fail(op, issue);
    this.#batchLimit = MAX_PUSH_OPS;
    ctx.readQueue();
    ctx.refreshStatus();
  }
}
