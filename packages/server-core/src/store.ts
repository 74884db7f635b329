import type { Op, PushedOp, SnapshotCursor, SnapshotResponse } from "@syncline/protocol";
import type { EncodedPullPage, StorePullPage } from "./encoded-pull.js";

/** Devices that have not acknowledged for this long stop holding compaction back: 90 days (R57). */
export const DEFAULT_STALE_AFTER_MS = 90 * 24 * 60 * 60 * 1000;

/** An ACK the server holds in memory and has not written to the store yet (R53, R56). */
export interface PendingAck {
  /** The user. */
  readonly userId: string;
  /** The device that acknowledged. */
  readonly deviceId: string;
  /** The id it acknowledged. */
  readonly lastSeenId: number;
  /** When its newest ACK arrived. */
  readonly at: Date;
}

/** One pull page to read (R20–R22). */
export interface PullPage {
  /** Ops with `id > since`; 0 reads from the start (always allowed, R23). */
  readonly since: number;
  /** Most ops in the page. */
  readonly limit: number;
  /** The page continues a read that began at `since = 0`: no watermark guard (R22). @default false */
  readonly resync?: boolean;
  /** About the most bytes of values in the page (R20). @default MAX_PAGE_VALUE_BYTES */
  readonly maxValueBytes?: number;
}

/** One snapshot page to read (R72–R74). */
export interface SnapshotPageRequest {
  /** Most fields in the page. */
  readonly limit: number;
  /** Only entities of this type. */
  readonly entityType?: string | undefined;
  /** Where the previous page ended; absent on the first page, which fixes `as_of`. */
  readonly cursor?: SnapshotCursor | undefined;
  /** About the most bytes of values in the page (R72). @default MAX_PAGE_VALUE_BYTES */
  readonly maxValueBytes?: number;
}

/** What an ACK is checked against when it arrives (R27) and answered with (R26). */
export interface AckBounds {
  /** The user's highest op id, 0 when the log is empty. */
  readonly head: number;
  /** The device's stored cursor, 0 when it never acknowledged. */
  readonly cursor: number;
}

/** Options of one user's compaction (R57–R61). */
export interface CompactUserOptions {
  /** The time freshness is judged against. @default new Date() */
  readonly now?: Date;
  /**
   * A device whose last ACK (stored or pending) is older than `now` minus
   * this does not hold compaction back.
   * @default DEFAULT_STALE_AFTER_MS (90 days)
   */
  readonly staleAfterMs?: number;
  /**
   * The server's unflushed in-memory ACKs. Each is merged with the stored
   * cursor of its device (higher id, later time), so compaction never runs
   * ahead of an ACK it has not seen (R56). Entries of other users are ignored.
   * @default []
   */
  readonly pendingAcks?: readonly PendingAck[];
}

/** Options of a compaction of every user. */
export interface CompactOptions extends CompactUserOptions {
  /** The users to compact. @default every user with a fresh stored cursor or a pending ACK */
  readonly userIds?: readonly string[];
}

/** One user's compaction that moved the watermark. */
export interface UserCompaction {
  readonly userId: string;
  /** Watermark before. */
  readonly previousCompactedUpTo: number;
  /** Watermark now: MIN of the fresh devices' cursors. Ops below it were collapsed. */
  readonly compactedUpTo: number;
  /** Ops removed. */
  readonly deleted: number;
}

/** What a compaction of every user did. */
export interface CompactionReport {
  /** Users whose watermark moved, in the order compacted. */
  readonly users: UserCompaction[];
  /** Ops removed over all users. */
  readonly deleted: number;
}

/** A committed push that inserted ops: the user and the highest new id (R19). */
export interface PushNotice {
  readonly user_id: string;
  readonly max_id: number;
  /**
   * The store instance that made the push, when the store names one (e.g.
   * `PgSyncStore.origin`): a process that hands its own pushes to its hub
   * ({@link SyncStore.pushWithHead}) skips their notices.
   */
  readonly origin?: string | undefined;
}

/** What {@link SyncStore.pushWithHead} answers. */
export interface PushOutcome {
  /** One row per op, in request order: what {@link SyncStore.push} returns. */
  readonly ops: PushedOp[];
  /**
   * The user's head just before the push's new ops, read under the push's
   * serialization with the user's other pushes: every op of the user up to
   * it is committed, and the new ops are the next ones in the user's log.
   */
  readonly headBefore: number;
}

/**
 * The op log the sync engine runs on: everything `docs/PROTOCOL.md` asks of
 * storage. `@syncline/pg-store`'s `PgSyncStore` and {@link MemorySyncStore}
 * implement it, and `@syncline/server-core/conformance` proves an
 * implementation keeps every rule. Rule violations are thrown as `SyncError`s
 * (`lamport_conflict`, `operation_id_reused`, `resync_required`,
 * `invalid_request`), which the routes answer with their documented status.
 */
export interface SyncStore {
  /**
   * Stores a device's batch atomically, in request order, serialized with the
   * user's other pushes (R13–R18, R68); duplicates come back marked.
   */
  push(userId: string, deviceId: string, ops: readonly Op[]): Promise<PushedOp[]>;
  /**
   * {@link SyncStore.push}, with the user's head before the push (R32): the
   * push route hands both to the hub, which then sends the new ops live
   * without reading them back.
   */
  pushWithHead(userId: string, deviceId: string, ops: readonly Op[]): Promise<PushOutcome>;
  /** A page of the user's log after `since`, ascending by id, with the head (R20–R24, R75). Never writes. */
  pull(userId: string, page: PullPage): Promise<StorePullPage>;
  /**
   * The same page as {@link SyncStore.pull}, encoded as the wire's JSON: what
   * the pull route sends and the hub frames, with no op serialized in JS.
   */
  pullEncoded(userId: string, page: PullPage): Promise<EncodedPullPage>;
  /**
   * A page of the user's current state: visible fields with their winning
   * ids, in the store's key order after `request.cursor` (R72–R74). Reads
   * only what the page holds, never the whole history. Never writes.
   * @throws SyncError `invalid_request` (422) when the cursor's `as_of` is above the head
   */
  snapshot(userId: string, request: SnapshotPageRequest): Promise<SnapshotResponse>;
  /**
   * Raises the device's cursor to `lastSeenId` (never lowers it) and refreshes
   * its `last_seen_at` (R25–R27).
   * @returns the stored cursor
   * @throws SyncError `invalid_request` (422) above the user's head
   */
  ack(userId: string, deviceId: string, lastSeenId: number, at?: Date): Promise<number>;
  /** Highest op id of the user, 0 when none. */
  headId(userId: string): Promise<number>;
  /** The device's stored cursor, 0 when none. */
  cursor(userId: string, deviceId: string): Promise<number>;
  /** The user's head and the device's stored cursor, read together. */
  ackBounds(userId: string, deviceId: string): Promise<AckBounds>;
  /** The user's compaction watermark, 0 when never compacted. */
  compactedUpTo(userId: string): Promise<number>;
  /**
   * Compacts one user atomically (R57–R62), remembering what it removes (R68).
   * @returns what changed, or `undefined` when the user was left alone
   */
  compactUser(userId: string, options?: CompactUserOptions): Promise<UserCompaction | undefined>;
  /** Compacts every user with a fresh device (or `options.userIds`), each atomically. */
  compact(options?: CompactOptions): Promise<CompactionReport>;
  /**
   * Calls `handler` after every committed push that inserted ops, made
   * through any process sharing this store (R19).
   * @returns once listening, a function that stops it
   */
  onPush(handler: (notice: PushNotice) => void): Promise<() => Promise<void>>;
}
