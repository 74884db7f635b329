import {
  applyOpTo,
  type JsonValue,
  MAX_PAGE_VALUE_BYTES,
  type Op,
  type PushedOp,
  type Scheduler,
  type SnapshotResponse,
  type StoredOp,
  type SyncState,
  syncStateTarget,
  systemScheduler,
} from "@syncline/protocol";
import { type EncodedPullPage, encodePullPage, type StorePullPage } from "./encoded-pull.js";
import { type SnapshotRow, snapshotPage } from "./snapshot-page.js";
import {
  type AckBounds,
  type CompactionReport,
  type CompactOptions,
  type CompactUserOptions,
  DEFAULT_STALE_AFTER_MS,
  type PullPage,
  type PushNotice,
  type PushOutcome,
  type SnapshotPageRequest,
  type SyncStore,
  type UserCompaction,
} from "./store.js";
import {
  ackAboveHead,
  lamportConflict,
  operationIdReused,
  resyncRequired,
  snapshotAheadOfHead,
} from "./store-errors.js";

/** What compaction keeps of an op it removes (R68). */
interface RetiredOp {
  readonly id: number;
  readonly lamport_ts: number;
  readonly wall_clock: string;
  readonly content: string;
}

interface DeviceCursor {
  lastSeenId: number;
  lastSeenAt: Date;
}

/** One user's log and bookkeeping. */
interface UserLog {
  /** Ascending by id. */
  ops: StoredOp[];
  /** Stored ops by `device_id/operation_id`. */
  readonly byOperation: Map<string, StoredOp>;
  /** Removed ops by `device_id/operation_id`. */
  readonly retired: Map<string, RetiredOp>;
  readonly cursors: Map<string, DeviceCursor>;
  compactedUpTo: number;
  /** The fold of the log (R48–R50), kept current by every push; compaction never changes it (R62). */
  readonly state: SyncState;
}

const operationKey = (deviceId: string, operationId: string) => `${deviceId}/${operationId}`;

/** JSON with object keys sorted: equal JSON values (R4) give equal text. */
function canonicalJson(value: JsonValue): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** What a retry must repeat (R15): everything but `lamport_ts`, the value as a JSON value. */
function contentOf(op: Op): string {
  return canonicalJson([op.entity_type, op.entity_id, op.op, op.field, op.value]);
}

const encoder = new TextEncoder();

/** Bytes of a value as JSON text, what a page's byte bound counts (R20, R72). */
function valueBytes(value: JsonValue | null): number {
  return value === null ? 0 : encoder.encode(JSON.stringify(value)).byteLength;
}

/** Orders snapshot keys (entity type, entity id, field) by UTF-16 code units. */
function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

/** Options of {@link MemorySyncStore}. */
export interface MemorySyncStoreOptions {
  /** Where `wall_clock` and the default `now` of ACKs and compaction come from. @default systemScheduler */
  readonly scheduler?: Scheduler;
}

/**
 * The whole {@link SyncStore} in memory, with the semantics of the Postgres
 * store: ids unique across users and ascending per user, idempotent pushes
 * (also of compacted ops, R68), both 409s, the 410 guard, atomic compaction,
 * tenant isolation and push notifications after commit. Every method does its
 * work in one synchronous step, so pushes of a user are serialized and a
 * compaction is never seen half done. For tests, the simulation and
 * single-process servers; nothing survives the process.
 * @example
 * const store = new MemorySyncStore();
 * const routes = createSyncRoutes({ store, auth });
 */
export class MemorySyncStore implements SyncStore {
  readonly #scheduler: Scheduler;
  readonly #users = new Map<string, UserLog>();
  readonly #listeners = new Set<(notice: PushNotice) => void>();
  #lastId = 0;

  constructor(options: MemorySyncStoreOptions = {}) {
    this.#scheduler = options.scheduler ?? systemScheduler;
  }

  async push(userId: string, deviceId: string, ops: readonly Op[]): Promise<PushedOp[]> {
    return (await this.pushWithHead(userId, deviceId, ops)).ops;
  }

  async pushWithHead(userId: string, deviceId: string, ops: readonly Op[]): Promise<PushOutcome> {
    const log = this.#log(userId);
    const headBefore = log.ops.at(-1)?.id ?? 0;
    const wallClock = new Date(this.#scheduler.now()).toISOString();
    let maxLamportTs = 0;
    for (const op of log.ops) {
      if (op.device_id === deviceId) maxLamportTs = Math.max(maxLamportTs, op.lamport_ts);
    }
    let lastId = this.#lastId;
    const inserted: StoredOp[] = [];
    const inBatch = new Map<string, StoredOp>();
    const answer = ops.map((op): PushedOp => {
      const key = operationKey(deviceId, op.operation_id);
      const stored = log.byOperation.get(key) ?? inBatch.get(key);
      if (stored) {
        if (contentOf(stored) !== contentOf(op)) throw operationIdReused(op.operation_id);
        return { ...structuredClone(stored), duplicate: true };
      }
      const retired = log.retired.get(key);
      if (retired) {
        if (retired.content !== contentOf(op)) throw operationIdReused(op.operation_id);
        const { id, lamport_ts, wall_clock } = retired;
        return {
          ...structuredClone(op),
          id,
          lamport_ts,
          wall_clock,
          device_id: deviceId,
          duplicate: true,
        };
      }
      if (op.lamport_ts <= maxLamportTs) throw lamportConflict(op, deviceId, maxLamportTs);
      maxLamportTs = op.lamport_ts;
      const row: StoredOp = {
        ...structuredClone(op),
        id: ++lastId,
        device_id: deviceId,
        wall_clock: wallClock,
      };
      inBatch.set(key, row);
      inserted.push(row);
      return { ...structuredClone(row), duplicate: false };
    });
    // Commit: nothing above threw, so the whole batch is stored at once.
    this.#lastId = lastId;
    const state = syncStateTarget(log.state);
    for (const row of inserted) {
      log.ops.push(row);
      log.byOperation.set(operationKey(deviceId, row.operation_id), row);
      applyOpTo(state, row);
    }
    const last = inserted.at(-1);
    if (last) this.#publish({ user_id: userId, max_id: last.id });
    return { ops: answer, headBefore };
  }

  async pull(userId: string, page: PullPage): Promise<StorePullPage> {
    const log = this.#users.get(userId);
    const compactedUpTo = log?.compactedUpTo ?? 0;
    if (!page.resync && page.since > 0 && page.since < compactedUpTo) {
      throw resyncRequired(page.since, compactedUpTo);
    }
    const maxBytes = page.maxValueBytes ?? MAX_PAGE_VALUE_BYTES;
    const after = (log?.ops ?? []).filter((op) => op.id > page.since);
    const ops: StoredOp[] = [];
    let bytes = 0;
    for (const op of after) {
      if (ops.length === page.limit || bytes >= maxBytes) break;
      ops.push(structuredClone(op));
      bytes += valueBytes(op.value);
    }
    return { ops, has_more: ops.length < after.length, head: log?.ops.at(-1)?.id ?? 0 };
  }

  /** {@link MemorySyncStore.pull}, encoded. */
  async pullEncoded(userId: string, page: PullPage): Promise<EncodedPullPage> {
    return encodePullPage(await this.pull(userId, page));
  }

  /**
   * {@link SyncStore.snapshot} from the user's folded state, which every push
   * keeps current: a page sorts the visible fields, never reads the log.
   */
  async snapshot(userId: string, request: SnapshotPageRequest): Promise<SnapshotResponse> {
    const log = this.#users.get(userId);
    const head = log?.ops.at(-1)?.id ?? 0;
    const asOf = request.cursor?.asOf ?? head;
    if (asOf > head) throw snapshotAheadOfHead(asOf, head);
    const after = request.cursor
      ? [request.cursor.entityType, request.cursor.entityId, request.cursor.field]
      : undefined;
    const rows: Array<SnapshotRow & { key: string[] }> = [];
    for (const [entityType, byId] of log?.state ?? []) {
      if (request.entityType !== undefined && entityType !== request.entityType) continue;
      for (const [entityId, entity] of byId) {
        for (const [field, { value, id }] of entity.fields) {
          const key = [entityType, entityId, field];
          if (after && compareKeys(key, after) <= 0) continue;
          rows.push({
            key,
            entity_type: entityType,
            entity_id: entityId,
            field,
            value,
            id,
            bytes: 0,
          });
        }
      }
    }
    rows.sort((a, b) => compareKeys(a.key, b.key));
    const candidates = rows
      .slice(0, request.limit + 1)
      .map((row) => ({ ...row, value: structuredClone(row.value), bytes: valueBytes(row.value) }));
    return snapshotPage(asOf, candidates, request);
  }

  async ack(
    userId: string,
    deviceId: string,
    lastSeenId: number,
    at: Date = new Date(this.#scheduler.now()),
  ): Promise<number> {
    const head = await this.headId(userId);
    if (lastSeenId > head) throw ackAboveHead(lastSeenId, head);
    const cursors = this.#log(userId).cursors;
    const current = cursors.get(deviceId);
    const next: DeviceCursor = {
      lastSeenId: Math.max(current?.lastSeenId ?? 0, lastSeenId),
      lastSeenAt: current && current.lastSeenAt > at ? current.lastSeenAt : at,
    };
    cursors.set(deviceId, next);
    return next.lastSeenId;
  }

  async headId(userId: string): Promise<number> {
    return this.#users.get(userId)?.ops.at(-1)?.id ?? 0;
  }

  async cursor(userId: string, deviceId: string): Promise<number> {
    return this.#users.get(userId)?.cursors.get(deviceId)?.lastSeenId ?? 0;
  }

  async ackBounds(userId: string, deviceId: string): Promise<AckBounds> {
    return { head: await this.headId(userId), cursor: await this.cursor(userId, deviceId) };
  }

  async compactedUpTo(userId: string): Promise<number> {
    return this.#users.get(userId)?.compactedUpTo ?? 0;
  }

  async compactUser(
    userId: string,
    options: CompactUserOptions = {},
  ): Promise<UserCompaction | undefined> {
    const log = this.#users.get(userId);
    if (!log) return undefined;
    const now = options.now ?? new Date(this.#scheduler.now());
    const cutoff = now.getTime() - (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
    // R56, R57: stored cursors merged with the unflushed ACKs, then MIN over the fresh ones.
    const merged = new Map<string, DeviceCursor>();
    for (const [deviceId, cursor] of log.cursors) merged.set(deviceId, { ...cursor });
    for (const ack of options.pendingAcks ?? []) {
      if (ack.userId !== userId) continue;
      const stored = merged.get(ack.deviceId);
      merged.set(ack.deviceId, {
        lastSeenId: Math.max(stored?.lastSeenId ?? 0, ack.lastSeenId),
        lastSeenAt: stored && stored.lastSeenAt > ack.at ? stored.lastSeenAt : ack.at,
      });
    }
    const fresh = [...merged.values()].filter((cursor) => cursor.lastSeenAt.getTime() >= cutoff);
    if (fresh.length === 0) return undefined;
    const min = Math.min(...fresh.map((cursor) => cursor.lastSeenId));
    const previous = log.compactedUpTo;
    if (min <= previous) return undefined; // R58

    // R59: below min, the newest op per field (deletes per entity) survives,
    // and no upsert older than its entity's surviving delete.
    const below = log.ops.filter((op) => op.id < min);
    const newest = new Map<string, number>();
    const tombstones = new Map<string, number>();
    for (const op of below) {
      const entity = JSON.stringify([op.entity_type, op.entity_id]);
      const group = JSON.stringify([op.entity_type, op.entity_id, op.field]);
      newest.set(group, Math.max(newest.get(group) ?? 0, op.id));
      if (op.op === "delete") tombstones.set(entity, Math.max(tombstones.get(entity) ?? 0, op.id));
    }
    const doomed = new Set(
      below
        .filter((op) => {
          const group = JSON.stringify([op.entity_type, op.entity_id, op.field]);
          const tombstone = tombstones.get(JSON.stringify([op.entity_type, op.entity_id])) ?? 0;
          return newest.get(group) !== op.id || (op.op === "upsert" && op.id < tombstone);
        })
        .map((op) => op.id),
    );
    // R60, R68: removal, memory of what was removed and watermark in one step.
    for (const op of log.ops) {
      if (!doomed.has(op.id)) continue;
      const key = operationKey(op.device_id, op.operation_id);
      log.byOperation.delete(key);
      log.retired.set(key, {
        id: op.id,
        lamport_ts: op.lamport_ts,
        wall_clock: op.wall_clock,
        content: contentOf(op),
      });
    }
    log.ops = log.ops.filter((op) => !doomed.has(op.id));
    log.compactedUpTo = min;
    return { userId, previousCompactedUpTo: previous, compactedUpTo: min, deleted: doomed.size };
  }

  async compact(options: CompactOptions = {}): Promise<CompactionReport> {
    const now = options.now ?? new Date(this.#scheduler.now());
    const run = { ...options, now };
    const users: UserCompaction[] = [];
    let deleted = 0;
    for (const userId of options.userIds ?? this.#candidateUsers(run)) {
      const done = await this.compactUser(userId, run);
      if (!done) continue;
      users.push(done);
      deleted += done.deleted;
    }
    return { users, deleted };
  }

  async onPush(handler: (notice: PushNotice) => void): Promise<() => Promise<void>> {
    const listener = (notice: PushNotice) => handler(notice);
    this.#listeners.add(listener);
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  /** Users with a fresh stored cursor, then those only a pending ACK names. */
  #candidateUsers(options: CompactUserOptions & { now: Date }): string[] {
    const cutoff = options.now.getTime() - (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
    const users = new Set<string>();
    for (const [userId, log] of [...this.#users].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if ([...log.cursors.values()].some((c) => c.lastSeenAt.getTime() >= cutoff))
        users.add(userId);
    }
    for (const ack of options.pendingAcks ?? []) users.add(ack.userId);
    return [...users];
  }

  /** Tells every listener after the push returned, as a NOTIFY arrives after commit (R19). */
  #publish(notice: PushNotice): void {
    for (const listener of this.#listeners) queueMicrotask(() => listener(notice));
  }

  #log(userId: string): UserLog {
    let log = this.#users.get(userId);
    if (!log) {
      log = {
        ops: [],
        byOperation: new Map(),
        retired: new Map(),
        cursors: new Map(),
        compactedUpTo: 0,
        state: new Map(),
      };
      this.#users.set(userId, log);
    }
    return log;
  }
}
