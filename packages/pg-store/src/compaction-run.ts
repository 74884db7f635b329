import { randomUUID } from "node:crypto";
import { type Scheduler, systemScheduler } from "@syncline/protocol";
import type { AckBuffer, CompactionReport } from "@syncline/server-core";
import type pg from "pg";
import { COMPACTION_LOCK_KEY } from "./locks.js";
import type { PgNotifier } from "./notifier.js";
import type { PgSyncStore } from "./store.js";

/** Channel on which a compaction asks every server to flush its buffered ACKs. */
export const FLUSH_REQUEST_CHANNEL = "syncline_ack_flush";
/** Channel on which a server answers a flush request once its ACKs are written. */
export const FLUSH_DONE_CHANNEL = "syncline_ack_flushed";
/**
 * `application_name` a server gives its notifier's listening connection, so
 * a compaction can count the servers it waits for (R56).
 */
export const SERVER_LISTENER_NAME = "syncline-server";

/**
 * Makes a server answer flush requests: on each, it writes its buffered ACKs,
 * then says so. Returns the unsubscribe function.
 */
export function answerFlushRequests(
  notifier: PgNotifier,
  acks: AckBuffer,
): Promise<() => Promise<void>> {
  return notifier.subscribe(FLUSH_REQUEST_CHANNEL, (requestId) => {
    void acks.flush().then(() => notifier.notify(FLUSH_DONE_CHANNEL, requestId));
  });
}

/**
 * Asks every running server on the database to flush its ACKs and waits until
 * each has answered or `waitMs` passed. Losing a server's unflushed ACK only
 * makes compaction more conservative (or a device resync), never loses data.
 * @returns how many servers answered, and how many were listening
 */
export async function requestAckFlush(
  pool: pg.Pool,
  notifier: PgNotifier,
  waitMs: number,
  scheduler: Scheduler = systemScheduler,
): Promise<{ answered: number; listening: number }> {
  const { rows } = await pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
    [SERVER_LISTENER_NAME],
  );
  const listening = Number(rows[0]?.n ?? 0);
  if (listening === 0) return { answered: 0, listening };
  const requestId = randomUUID();
  let answered = 0;
  let done: () => void = () => {};
  const allAnswered = new Promise<void>((resolve) => {
    done = resolve;
  });
  const stop = await notifier.subscribe(FLUSH_DONE_CHANNEL, (payload) => {
    if (payload === requestId && ++answered >= listening) done();
  });
  try {
    await notifier.notify(FLUSH_REQUEST_CHANNEL, requestId);
    let cancel = () => {};
    await Promise.race([
      allAnswered,
      new Promise<void>((resolve) => (cancel = scheduler.schedule(waitMs, resolve))),
    ]);
    cancel();
  } finally {
    await stop();
  }
  return { answered, listening };
}

/** Options of {@link runCompaction}. */
export interface RunCompactionOptions {
  pool: pg.Pool;
  store: PgSyncStore;
  notifier: PgNotifier;
  /** The time freshness is judged against. @default now */
  now?: Date;
  staleAfterMs: number;
  /** How long to wait for servers to flush their ACKs. */
  flushWaitMs: number;
  /** This process's own ACK buffer, when it is a server. */
  acks?: AckBuffer;
  /** Time source of the flush wait. @default systemScheduler */
  scheduler?: Scheduler;
}

/** What {@link runCompaction} did. */
export type CompactionOutcome =
  | { result: "ok"; report: CompactionReport; flush: { answered: number; listening: number } }
  | { result: "skipped"; reason: string };

/**
 * One compaction over every user, run by at most one process at a time
 * (R56): first every running server flushes its ACKs, then each user is
 * compacted with this process's own unflushed ACKs counted too. The flush
 * handshake travels on {@link FLUSH_REQUEST_CHANNEL} / {@link FLUSH_DONE_CHANNEL}.
 * @example
 * const outcome = await runCompaction({ pool, store, notifier, staleAfterMs, flushWaitMs: 2000 });
 */
export async function runCompaction(options: RunCompactionOptions): Promise<CompactionOutcome> {
  const lock = await options.pool.connect();
  try {
    const { rows } = await lock.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1) AS locked",
      [COMPACTION_LOCK_KEY],
    );
    if (!rows[0]?.locked) return { result: "skipped", reason: "another compaction is running" };
    try {
      const flush = await requestAckFlush(
        options.pool,
        options.notifier,
        options.flushWaitMs,
        options.scheduler,
      );
      const report = await options.store.compact({
        staleAfterMs: options.staleAfterMs,
        pendingAcks: options.acks?.pending() ?? [],
        ...(options.now ? { now: options.now } : {}),
      });
      return { result: "ok", report, flush };
    } finally {
      await lock.query("SELECT pg_advisory_unlock($1)", [COMPACTION_LOCK_KEY]);
    }
  } finally {
    lock.release();
  }
}
