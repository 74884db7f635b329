import type { Op, PullResponse, PushedOp } from "@syncline/protocol";

/**
 * The storage the sync routes need. `@syncline/pg-store`'s `PgSyncStore`
 * implements it; rule violations are thrown as `SyncError`s
 * (`lamport_conflict`, `operation_id_reused`, `resync_required`,
 * `invalid_request`), which the routes answer with their documented status.
 */
export interface SyncStore {
  /** Stores a batch in one transaction; duplicates come back marked. */
  push(userId: string, deviceId: string, ops: Op[]): Promise<PushedOp[]>;
  /**
   * Ops with `id > since`, ascending, at most `limit`. `resync`: the page
   * continues a pull that began at 0, so the watermark guard does not apply.
   */
  pull(
    userId: string,
    page: { since: number; limit: number; resync?: boolean },
  ): Promise<PullResponse>;
  /** Raises the device's cursor; refreshes its `last_seen_at`. Returns the stored cursor. */
  ack(userId: string, deviceId: string, lastSeenId: number, at?: Date): Promise<number>;
  /** Highest op id of the user, 0 when none. */
  headId(userId: string): Promise<number>;
  /** The device's stored cursor, 0 when none. */
  cursor(userId: string, deviceId: string): Promise<number>;
  /** The user's compaction watermark, 0 when never compacted. */
  compactedUpTo(userId: string): Promise<number>;
}
