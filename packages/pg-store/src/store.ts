import { randomUUID } from "node:crypto";
import {
  DEFAULT_PULL_LIMIT,
  type Op,
  type PushedOp,
  type SnapshotResponse,
} from "@syncline/protocol";
import {
  type AckBounds,
  type CompactionReport,
  decodePullPage,
  type EncodedPullPage,
  type PullPage,
  type PushNotice,
  type PushOutcome,
  type SnapshotPageRequest,
  type StorePullPage,
  type SyncStore,
  type UserCompaction,
} from "@syncline/server-core";
import type pg from "pg";
import { ackCursor } from "./ack.js";
import {
  compactAll,
  compactUser,
  type PgCompactOptions,
  type PgCompactUserOptions,
} from "./compact.js";
import { beginLockedByUser } from "./locks.js";
import { PgNotifier } from "./notifier.js";
import { pullOps } from "./pull.js";
import { pushInTransaction, pushNewOps, serializeBatch } from "./push.js";
import { decodePushNotice, PUSH_CHANNEL } from "./push-notice.js";
import { snapshotPageOf } from "./snapshot.js";
import { withTransaction } from "./transaction.js";

/** Options of {@link PgSyncStore}. */
export interface PgSyncStoreOptions {
  /**
   * The pool every query runs on. The store never ends it. Run
   * {@link migratePgStore} on it before the first call.
   */
  pool: pg.Pool;
  /**
   * Carries the push notifications of {@link PgSyncStore.onPush}. Pass one to
   * share its connection with your own channels; the store never closes a
   * notifier it was given.
   * @default a notifier over `pool`, created on first use and closed by {@link PgSyncStore.close}
   */
  notifier?: PgNotifier;
}

/**
 * Options of {@link PgSyncStore.pull}: the port's page, every field optional
 * (`since` 0, `limit` DEFAULT_PULL_LIMIT (1000), `resync` false,
 * `maxValueBytes` MAX_PAGE_VALUE_BYTES (4 MiB)).
 */
export type PullOptions = Partial<PullPage>;

/**
 * Syncline's op log in PostgreSQL: idempotent push, pull, ACK cursors,
 * compaction and push notifications. Callers validate input with the
 * protocol's schemas first; the store enforces the log's rules and throws
 * {@link SyncError}s for their violations.
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migratePgStore(pool);
 * const store = new PgSyncStore({ pool });
 * const [pushed] = await store.push(userId, deviceId, ops);
 * const page = await store.pull(userId, { since: 0 });
 */
export class PgSyncStore implements SyncStore {
  /**
   * Names this store in the notices of its pushes (`PushNotice.origin`), so
   * a process that fans its own pushes out directly can skip their echo.
   */
  readonly origin: string = randomUUID();
  readonly #pool: pg.Pool;
  readonly #ownsNotifier: boolean;
  #notifier: PgNotifier | undefined;

  constructor(options: PgSyncStoreOptions) {
    this.#pool = options.pool;
    this.#notifier = options.notifier;
    this.#ownsNotifier = options.notifier === undefined;
  }

  /** The notifier push notifications travel on; add your own channels to it. */
  get notifier(): PgNotifier {
    this.#notifier ??= new PgNotifier({ pool: this.#pool });
    return this.#notifier;
  }

  /**
   * Stores a device's batch in ONE transaction, serialized with the user's
   * other pushes so ops become visible in id order. Per op, in order: an
   * `operation_id` already stored (or earlier in the batch) returns the
   * stored row with `duplicate: true`; otherwise its `lamport_ts` must be
   * above the device's highest; then it is inserted. After an insert, a
   * {@link PushNotice} is published on {@link PUSH_CHANNEL} at commit.
   * A batch of new ops only (the common case) takes one round trip
   * ({@link pushNewOps}); any other batch is classified op by op.
   * @returns one row per op, in request order
   * @throws {SyncError} `operation_id_reused` when a stored `operation_id`
   * comes back with different content (anything but `lamport_ts`);
   * `lamport_conflict` with the device's `max_lamport_ts` when a new op is
   * not above it. Nothing of the batch is stored then.
   */
  async push(userId: string, deviceId: string, ops: readonly Op[]): Promise<PushedOp[]> {
    return (await this.pushWithHead(userId, deviceId, ops)).ops;
  }

  /** {@link PgSyncStore.push}, with the user's head before the push (for live fan-out). */
  async pushWithHead(userId: string, deviceId: string, ops: readonly Op[]): Promise<PushOutcome> {
    if (ops.length === 0) return { ops: [], headBefore: await this.headId(userId) };
    const batch = serializeBatch(ops);
    return (
      (await pushNewOps(this.#pool, userId, deviceId, batch, this.origin)) ??
      withTransaction(
        this.#pool,
        (client) => pushInTransaction(client, userId, deviceId, batch, this.origin),
        beginLockedByUser(userId),
      )
    );
  }

  /**
   * A page of the user's log: ops with `id > since` in ascending id, and
   * whether more follow. Never writes a cursor.
   * @throws {SyncError} `resync_required` (with `compacted_up_to`) when
   * `since > 0` and `since < compacted_up_to`
   */
  async pull(userId: string, options: PullOptions = {}): Promise<StorePullPage> {
    return decodePullPage(await this.pullEncoded(userId, options));
  }

  /**
   * {@link PgSyncStore.pull}, as the wire's JSON built by PostgreSQL: one
   * text value per page, no JS object per row.
   */
  pullEncoded(userId: string, options: PullOptions = {}): Promise<EncodedPullPage> {
    return pullOps(
      this.#pool,
      userId,
      options.since ?? 0,
      options.limit ?? DEFAULT_PULL_LIMIT,
      options.resync ?? false,
      options.maxValueBytes,
    );
  }

  /**
   * A page of the user's current state (R72–R74), read through the snapshot
   * indexes (migration 5): a few index probes per field in the page.
   * @throws {SyncError} `invalid_request` (422, issue at `["cursor"]`) when
   * the cursor's `as_of` is above the user's head
   */
  snapshot(userId: string, request: SnapshotPageRequest): Promise<SnapshotResponse> {
    return snapshotPageOf(this.#pool, userId, request);
  }

  /**
   * Records a device's cursor; the only writer of `device_sync_cursor`.
   * Raises `last_seen_id` only; a lower or equal ACK still refreshes
   * `last_seen_at`.
   * @param at when the device acknowledged @default new Date()
   * @returns the cursor now stored
   * @throws {SyncError} `invalid_request` (422, issue at `["last_seen_id"]`)
   * when `lastSeenId` is above the user's highest op id
   */
  ack(
    userId: string,
    deviceId: string,
    lastSeenId: number,
    at: Date = new Date(),
  ): Promise<number> {
    return ackCursor(this.#pool, userId, deviceId, lastSeenId, at);
  }

  /** The user's highest op id, or 0 when the log is empty. */
  async headId(userId: string): Promise<number> {
    const { rows } = await this.#pool.query<{ head_id: string }>(
      "SELECT sync_user_head($1) AS head_id",
      [userId],
    );
    return Number(rows[0]!.head_id);
  }

  /** The user's head and the device's stored cursor, in one query. */
  async ackBounds(userId: string, deviceId: string): Promise<AckBounds> {
    const { rows } = await this.#pool.query<{ head: string; cursor: string | null }>(
      `SELECT sync_user_head($1) AS head,
              (SELECT last_seen_id FROM device_sync_cursor WHERE user_id = $1 AND device_id = $2) AS cursor`,
      [userId, deviceId],
    );
    return { head: Number(rows[0]?.head ?? 0), cursor: Number(rows[0]?.cursor ?? 0) };
  }

  /** The stored cursor of a device, or 0 when it never acknowledged. */
  async cursor(userId: string, deviceId: string): Promise<number> {
    const { rows } = await this.#pool.query<{ last_seen_id: string }>(
      "SELECT last_seen_id FROM device_sync_cursor WHERE user_id = $1 AND device_id = $2",
      [userId, deviceId],
    );
    return Number(rows[0]?.last_seen_id ?? 0);
  }

  /** The user's compaction watermark: ops below it were collapsed (0: never compacted). */
  async compactedUpTo(userId: string): Promise<number> {
    const { rows } = await this.#pool.query<{ compacted_up_to: string }>(
      "SELECT compacted_up_to FROM sync_compaction_watermark WHERE user_id = $1",
      [userId],
    );
    return Number(rows[0]?.compacted_up_to ?? 0);
  }

  /**
   * Compacts one user in bounded slices, each one short transaction (see {@link compactUser}).
   * @returns what changed, or `undefined` when the user was left alone
   */
  compactUser(userId: string, options?: PgCompactUserOptions): Promise<UserCompaction | undefined> {
    return compactUser(this.#pool, userId, options);
  }

  /**
   * Compacts every user with a fresh device (or `options.userIds`), one after
   * the other, each in slices of its own: per user, MIN of the fresh devices'
   * cursors (stored merged with `pendingAcks`), collapse below it, watermark
   * raised to it (see {@link compactUser}).
   * @example
   * const report = await store.compact({ pendingAcks: ackBuffer.pending() });
   */
  compact(options?: PgCompactOptions): Promise<CompactionReport> {
    return compactAll(this.#pool, options);
  }

  /**
   * Calls `handler` for every committed push that inserted ops, made by any
   * process on this database (including this one).
   * @returns once listening, a function that stops it
   */
  onPush(handler: (notice: PushNotice) => void): Promise<() => Promise<void>> {
    return this.notifier.subscribe(PUSH_CHANNEL, (payload) => {
      const notice = decodePushNotice(payload);
      if (notice) handler(notice);
    });
  }

  /** Closes the notifier the store created (the pool stays open). */
  async close(): Promise<void> {
    if (this.#ownsNotifier) await this.#notifier?.close();
  }
}
