import { applyOpTo, DEFAULT_PULL_LIMIT, type StoredOp } from "@syncline/protocol";
import {
  type CatchUpProgress,
  reportingPullProgress,
  reportingSnapshotProgress,
} from "../catch-up-progress.js";
import { receiveRemote } from "../lamport.js";
import type { AppliedBatch } from "../options.js";
import { overlayPending } from "../overlay.js";
import { type PageReadEnd, pullPages } from "../page-reads.js";
import type { StoreTx } from "../store.js";
import { issueOf, recoveryOf } from "../transport.js";
import type { EngineContext } from "./context.js";
import { MAX_RECOVERIES } from "./pusher.js";
import { SnapshotLoader } from "./snapshot.js";

/**
 * The pull/apply part: everything that applies server ops runs here, one
 * task at a time (a serial queue), so pulls, socket frames and resets never
 * interleave. It catches up by pull (R20), starts from a snapshot when the
 * device starts from 0 (C13), follows the recovery loop on a reset (R63),
 * applies each batch in one store transaction with the reducer (R48–R51),
 * and moves the cursor.
 */
export class Inbound<Db> {
  readonly #ctx: EngineContext<Db>;
  readonly #snapshot: SnapshotLoader<Db>;
  #queue: Promise<unknown> = Promise.resolve();
  #busy = 0;
  /** A reset is due (410, a `resync_required` frame, `resync()`): the next catch-up starts from 0. */
  needsReset = false;
  /** How far the running catch-up has got, once it needs a second page (C14); null otherwise. */
  #progress: CatchUpProgress | null = null;

  constructor(ctx: EngineContext<Db>) {
    this.#ctx = ctx;
    this.#snapshot = new SnapshotLoader(ctx);
  }

  /** How far the running catch-up has got (C14), or null. */
  get progress(): CatchUpProgress | null {
    return this.#progress;
  }

  /** Whether a task is queued or running. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  /** The queue's tail, for `stop()` to wait on. */
  get idle(): Promise<unknown> {
    return this.#queue;
  }

  /** Runs `task` after every task queued before it. */
  serial<T>(task: () => T | Promise<T>): Promise<T> {
    this.#busy++;
    const run = this.#queue.then(task).finally(() => {
      this.#busy--;
      this.#ctx.refreshStatus();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The highest server id this device applied. */
  cursor(): number {
    return this.#ctx.store.transaction((tx) => tx.cursor());
  }

  /** Pulls to the end, in the queue (R63 when a reset is due). @returns whether it got there */
  catchUp(): Promise<boolean> {
    return this.serial(() => this.#catchUp());
  }

  /** Marks a reset due and runs it (R63). @returns whether it completed */
  reset(): Promise<boolean> {
    this.needsReset = true;
    return this.catchUp().catch(() => false);
  }

  /**
   * Pulls from the cursor after the ACK debounce, so the cursor passes this
   * device's own pushed ops (R28). While the link is down, the reconnect's
   * catch-up does it instead.
   */
  scheduleCatchUp(): void {
    const ctx = this.#ctx;
    if (ctx.timers.has("settle")) return;
    ctx.timers.set("settle", ctx.options.ackDebounceMs ?? 1000, () => {
      if (ctx.connection.isDown) return;
      this.catchUp().catch((error) => ctx.localFailure(error));
    });
  }

  /** Applies an `ops` frame of socket `connection`, unless that socket was replaced meanwhile. */
  applyFrame(connection: number, ops: readonly StoredOp[]): void {
    const ctx = this.#ctx;
    this.serial(() => {
      // Frames queued behind a failure or a reconnect are left to the next catch-up.
      if (!ctx.connection.isCurrent(connection)) return;
      this.#applyRemote(ops, false);
      ctx.health.lastSyncedAt = ctx.scheduler.now();
    }).catch((error) => {
      ctx.localFailure(error);
      if (ctx.connection.isCurrent(connection)) ctx.connection.drop();
    });
  }

  /**
   * Reads to the end, restarting from 0 on a 410 (R63), at most
   * `MAX_RECOVERIES` times in a row.
   */
  async #catchUp(): Promise<boolean> {
    try {
      for (let restarts = 0; ; restarts++) {
        const reset = this.needsReset;
        const outcome = await this.#readToEnd(reset);
        if (outcome !== "reset") {
          if (outcome && reset) this.needsReset = false;
          return outcome;
        }
        this.needsReset = true;
        if (restarts >= MAX_RECOVERIES) return false;
      }
    } finally {
      this.#report(null);
    }
  }

  /** Publishes how far the catch-up has got (C14). */
  #report(progress: CatchUpProgress | null): void {
    if (progress === this.#progress) return;
    this.#progress = progress;
    this.#ctx.refreshStatus();
  }

  /**
   * One read to the end: a pull from the cursor; or, from 0 (a first sync
   * or a reset), the snapshot and then a pull from its `as_of` whose every
   * page says `resync` (C13, R74). From a server without snapshots, R63's
   * pull from 0, wiping in the transaction of the first page (on a reset).
   * Pending ops stay and are laid on top.
   */
  async #readToEnd(reset: boolean): Promise<boolean | "reset"> {
    const since = reset ? 0 : this.cursor();
    const apply = (ops: StoredOp[]) => this.#applyRemote(ops, false);
    if (since > 0) return this.#pullAll(since, false, apply);
    const loaded = await this.#snapshot.load(reportingSnapshotProgress((p) => this.#report(p)));
    if (loaded === "missing") {
      let wipe = reset;
      return this.#pullAll(0, false, (ops) => {
        this.#applyRemote(ops, wipe);
        wipe = false;
      });
    }
    if (loaded.kind !== "done") return this.#outcome(loaded);
    // The state up to as_of is in: a failure from here on resumes from the cursor.
    this.needsReset = false;
    return this.#pullAll(loaded.asOf, true, apply);
  }

  /**
   * Pulls pages from `since` until `has_more` is false, handing each to
   * `take` (R20); see `pullPages` for which pages say `resync` (R22).
   * @returns true when done, `"reset"` on a 410, false on another failure
   */
  async #pullAll(
    since: number,
    resync: boolean,
    take: (ops: StoredOp[]) => void,
  ): Promise<boolean | "reset"> {
    const ctx = this.#ctx;
    const progress = reportingPullProgress(since, (p) => this.#report(p));
    const end = await pullPages(
      (query) => ctx.requests.call((c) => ctx.transport.pull(query, c)),
      { since, limit: ctx.options.pullLimit ?? DEFAULT_PULL_LIMIT, resync },
      (page) => {
        ctx.connection.answered();
        take(page.ops);
        progress(page);
      },
      () => ctx.running,
    );
    if (end.kind === "done") {
      ctx.health.lastSyncedAt = ctx.scheduler.now();
      ctx.refreshStatus();
    }
    return this.#outcome(end);
  }

  /**
   * What a read's end means for the catch-up: true when done, `"reset"` on
   * a 410, false when stopped or on another failure, which is reported
   * (a refused token is reported by the requests part).
   */
  #outcome(end: PageReadEnd): boolean | "reset" {
    if (end.kind !== "failed") return end.kind === "done";
    const recovery = recoveryOf(end.failure);
    if (recovery === "reset") return "reset";
    if (recovery !== "reauthenticate") this.#ctx.fail(issueOf(end.failure));
    return false;
  }

  /**
   * Applies server ops in one transaction: skip ids at or below the cursor
   * (already applied: pull and socket overlap), merge the clock (R42), apply
   * by last-writer-wins, advance the cursor; with `reset`, wipe first.
   */
  #applyRemote(ops: readonly StoredOp[], reset: boolean): void {
    const ctx = this.#ctx;
    if (ops.length === 0 && !reset) return;
    const [advanced, mine] = ctx.store.transaction((tx) => {
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
      this.applyToState(tx, fresh, reset);
      // R46: this device's own ops, seen in the log, leave the queue (e.g. a lost push response).
      const own = fresh.filter((op) => op.device_id === ctx.deviceId);
      tx.remove(own.map((op) => op.operation_id));
      return [last > cursor, own] as const;
    });
    if (mine.length > 0) {
      ctx.mutations.confirm(mine);
      ctx.readQueue();
    }
    if (advanced) ctx.acks.schedule();
  }

  /**
   * Applies ops to the server state with the protocol's rule and tells the
   * app what changed, in the same transaction, with readers of that transaction.
   */
  applyToState(tx: StoreTx<Db>, ops: readonly StoredOp[], reset: boolean): void {
    const changed = ops.filter((op) => applyOpTo(tx, op));
    const onApply = this.#ctx.options.onApply;
    if (!onApply || (changed.length === 0 && !reset)) return;
    const batch: AppliedBatch = {
      ops: changed,
      reset,
      read: (entityType, entityId) =>
        overlayPending(tx.entities(entityType, entityId), tx.pendingOf(entityType, entityId))[
          entityId
        ],
      list: (entityType) => overlayPending(tx.entities(entityType), tx.pendingOf(entityType)),
    };
    onApply(tx.db, batch);
  }
}
