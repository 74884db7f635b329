import type { OpsFrame, PushedOp, Scheduler, StoredOp } from "@syncline/protocol";
import { CLOSE_CODE, DEFAULT_PULL_LIMIT, isSyncError, systemScheduler } from "@syncline/protocol";
import type { EncodedPullPage } from "./encoded-pull.js";
import type { SyncLogger, SyncObserver } from "./observer.js";
import { silentLogger } from "./observer.js";
import type { SyncStore } from "./store.js";

/** One connected socket, as the hub sees it. */
export interface HubSocket {
  readonly userId: string;
  readonly deviceId: string;
  send(data: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet sent. */
  bufferedAmount(): number;
}

/** Options of {@link Hub}. */
export interface HubOptions {
  store: Pick<SyncStore, "pullEncoded" | "headId">;
  /**
   * A socket whose unsent bytes exceed this is closed (code 1013) instead of
   * stalling others; it reconnects and catches up by pull.
   * @default DEFAULT_MAX_BUFFERED_BYTES (4 MiB)
   */
  maxBufferedBytes?: number;
  observer?: SyncObserver;
  logger?: SyncLogger;
  /** Time source of the backlog's drain waits and the fan-out latency. @default systemScheduler */
  scheduler?: Scheduler;
}

/** Unsent bytes after which a socket is closed as a slow consumer (R33): 4 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Most ops in one `ops` frame. */
const FRAME_OPS = DEFAULT_PULL_LIMIT;

interface Member {
  readonly socket: HubSocket;
  /** Highest id this socket has been given (or skipped as its own). */
  sentUpTo: number;
  /** While streaming its backlog, live ops wait here. */
  queued: StoredOp[] | undefined;
}

interface UserGroup {
  readonly members: Set<Member>;
  /** Highest id fetched for live fan-out. */
  cursor: number;
  /** Highest id known to exist (from notifications). */
  target: number;
  ready: Promise<void>;
  fetching: Promise<void> | undefined;
}

/**
 * Per-user fan-out. When told that a user's log grew (by a local push or a
 * NOTIFY from another server process), it reads the new ops once and sends
 * them, in id order, as one `ops` frame to every connected device of that
 * user except the one that pushed them.
 */
export class Hub {
  readonly #store: Pick<SyncStore, "pullEncoded" | "headId">;
  readonly #maxBuffered: number;
  readonly #observer: SyncObserver;
  readonly #logger: SyncLogger;
  readonly #scheduler: Scheduler;
  readonly #groups = new Map<string, UserGroup>();
  #open = 0;

  constructor(options: HubOptions) {
    this.#store = options.store;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#observer = options.observer ?? {};
    this.#logger = options.logger ?? silentLogger;
    this.#scheduler = options.scheduler ?? systemScheduler;
  }

  /** Number of connected sockets. */
  get size(): number {
    return this.#open;
  }

  /**
   * Registers a socket. With `since`, it first receives every op with
   * `id > since` (as a pull would return them), then live ops, with no gap or
   * duplicate at the seam; without, live ops from now on.
   * @returns a function that unregisters the socket
   * @throws SyncError `resync_required` when a backlog page lies in a compacted range
   */
  async connect(socket: HubSocket, since?: number): Promise<() => void> {
    const group = this.#group(socket.userId);
    await group.ready;
    const member: Member = {
      socket,
      sentUpTo: since ?? group.cursor,
      queued: since === undefined ? undefined : [],
    };
    group.members.add(member);
    this.#open++;
    this.#observer.sockets?.(this.#open);
    const leave = () => {
      if (!group.members.delete(member)) return;
      this.#open--;
      this.#observer.sockets?.(this.#open);
      if (group.members.size === 0 && this.#groups.get(socket.userId) === group) {
        this.#groups.delete(socket.userId);
      }
    };
    if (since !== undefined) {
      try {
        await this.#streamBacklog(member);
      } catch (error) {
        leave();
        throw error;
      }
    }
    return leave;
  }

  /** Tells the hub that the user's log now reaches `maxId`. Cheap when nothing is new. */
  notify(userId: string, maxId: number): void {
    const group = this.#groups.get(userId);
    if (!group || maxId <= group.target) return;
    group.target = maxId;
    group.ready.then(
      () => this.#fetch(userId, group),
      () => {},
    );
  }

  /**
   * Tells the hub about a push this process just committed: `stored` is what
   * it answered, `headBefore` the user's head before it (both from
   * {@link SyncStore.pushWithHead}). When the hub has sent the user's ops up
   * to `headBefore` and reads nothing now, the new ops are the next ones of
   * the log, so it sends them at once without reading them back; otherwise it
   * reads them as for any {@link Hub.notify}.
   */
  pushed(userId: string, headBefore: number, stored: readonly PushedOp[]): void {
    const inserted = stored.filter((op) => !op.duplicate);
    const newest = inserted.at(-1);
    if (!newest) return;
    const group = this.#groups.get(userId);
    if (!group || group.cursor !== headBefore || group.fetching) {
      this.notify(userId, newest.id);
      return;
    }
    group.cursor = newest.id;
    group.target = Math.max(group.target, newest.id);
    this.#send(group, opsPage(inserted.map(({ duplicate: _, ...op }) => op)));
  }

  /**
   * Re-reads the head of every connected user and fans out what is new: call
   * it when notifications may have been missed (e.g. after the LISTEN
   * connection was re-established).
   */
  async catchUp(): Promise<void> {
    await Promise.all(
      [...this.#groups.keys()].map(async (userId) =>
        this.notify(userId, await this.#store.headId(userId)),
      ),
    );
  }

  /**
   * Sends one frame to a socket, unless more than `maxBufferedBytes` of it
   * are still unsent: then the socket is closed with 1013 instead (R33).
   * Every frame the server sends on its own goes through here.
   * @returns whether the frame was sent
   */
  send(socket: HubSocket, data: string): boolean {
    if (socket.bufferedAmount() > this.#maxBuffered) {
      socket.close(CLOSE_CODE.slowConsumer, "too far behind; reconnect and pull");
      return false;
    }
    socket.send(data);
    return true;
  }

  /** Closes every socket (e.g. on shutdown). */
  closeAll(code: number = CLOSE_CODE.goingAway, reason = "server shutting down"): void {
    for (const group of this.#groups.values()) {
      for (const member of group.members) member.socket.close(code, reason);
    }
  }

  #group(userId: string): UserGroup {
    const group = this.#groups.get(userId);
    if (group) return group;
    const created: UserGroup = {
      members: new Set(),
      cursor: 0,
      target: 0,
      ready: Promise.resolve(),
      fetching: undefined,
    };
    created.ready = this.#store.headId(userId).then(
      (head) => {
        // Never below what a push of this process already moved it to (Hub.pushed).
        created.cursor = Math.max(created.cursor, head);
        created.target = Math.max(created.target, head);
      },
      (error: unknown) => {
        this.#groups.delete(userId);
        throw error;
      },
    );
    this.#groups.set(userId, created);
    return created;
  }

  async #streamBacklog(member: Member): Promise<void> {
    const { socket } = member;
    // A backlog from 0 is a full read: its later pages skip the watermark guard.
    const resync = member.sentUpTo === 0;
    for (;;) {
      const encoded = await this.#store.pullEncoded(socket.userId, {
        resync,
        since: member.sentUpTo,
        limit: FRAME_OPS,
      });
      if (encoded.count > 0) {
        const page = framePage(encoded);
        // The backlog waits for the socket to drain instead of dropping it.
        await this.#drained(socket);
        this.#deliver(member, page, false);
      }
      if (!encoded.has_more) break;
    }
    const queued = member.queued ?? [];
    member.queued = undefined;
    if (queued.length > 0) this.#deliver(member, opsPage(queued));
  }

  async #drained(socket: HubSocket): Promise<void> {
    for (
      let waited = 0;
      socket.bufferedAmount() > this.#maxBuffered && waited < 30_000;
      waited += 10
    ) {
      await new Promise<void>((resolve) => this.#scheduler.schedule(10, resolve));
    }
  }

  /** Starts reading the user's new ops unless a read is already running (single-flight). */
  #fetch(userId: string, group: UserGroup): Promise<void> {
    // Assigned before the read can finish, and cleared only in a later
    // microtask, so a read that ends at once never leaves a stale promise behind.
    group.fetching ??= this.#readNew(userId, group).finally(() => {
      group.fetching = undefined;
      if (group.target > group.cursor && group.members.size > 0) void this.#fetch(userId, group);
    });
    return group.fetching;
  }

  /** Reads ops above the group's cursor up to its target and delivers them. */
  async #readNew(userId: string, group: UserGroup): Promise<void> {
    try {
      while (group.target > group.cursor && group.members.size > 0) {
        const encoded = await this.#store.pullEncoded(userId, {
          since: group.cursor,
          limit: FRAME_OPS,
        });
        if (encoded.count === 0) break;
        const page = framePage(encoded);
        group.cursor = page.ops[page.ops.length - 1]!.id;
        this.#send(group, page);
      }
    } catch (error) {
      // The user's log moved past what live fan-out can read (e.g. compacted):
      // drop the sockets; they reconnect and catch up by pull.
      this.#logger[isSyncError(error) ? "warn" : "error"](
        { err: error, userId },
        "fan-out read failed",
      );
      for (const member of group.members)
        member.socket.close(CLOSE_CODE.serverError, "fan-out failed; reconnect");
    }
  }

  /** Sends a live page to every member of the group and reports the fan-out. */
  #send(group: UserGroup, page: FramePage): void {
    let sent = 0;
    for (const member of group.members) if (this.#deliver(member, page)) sent++;
    if (sent > 0) {
      const newest = page.ops[page.ops.length - 1]!;
      this.#observer.fannedOut?.(
        this.#scheduler.now() - Date.parse(newest.wall_clock),
        page.ops.length,
        sent,
      );
    }
  }

  /**
   * Sends the page's ops above the member's cursor; live, without its own
   * device's ops (no echo), while a backlog page goes as a pull returns it. A
   * member that gets the whole page gets the page's one shared frame. While
   * the member streams its backlog, live ops wait in its queue.
   * @returns whether a frame was sent
   */
  #deliver(member: Member, page: FramePage, live = true): boolean {
    if (live && member.queued) {
      member.queued.push(...page.ops);
      return false;
    }
    const { ops } = page;
    const after = member.sentUpTo;
    const newest = ops[ops.length - 1]!.id;
    if (newest <= after) return false;
    member.sentUpTo = newest;
    const deviceId = member.socket.deviceId;
    if (ops[0]!.id > after && !(live && page.devices.has(deviceId))) {
      return this.send(member.socket, page.frame());
    }
    const fresh = ops.filter((op) => op.id > after && !(live && op.device_id === deviceId));
    if (fresh.length === 0) return false;
    return this.send(member.socket, JSON.stringify({ type: "ops", ops: fresh } satisfies OpsFrame));
  }
}

/** A page of ops on its way to sockets, with the one `ops` frame they share. */
interface FramePage {
  readonly ops: readonly StoredOp[];
  /** The devices whose ops the page holds (they get a frame without them). */
  readonly devices: ReadonlySet<string>;
  /** The `ops` frame of the whole page, serialized once on first use. */
  frame(): string;
}

/** A page from the store: its frame is made from the store's JSON, no op serialized. */
function framePage(encoded: EncodedPullPage): FramePage {
  return pageOf(JSON.parse(encoded.ops) as StoredOp[], () => `{"type":"ops","ops":${encoded.ops}}`);
}

/** A page of op objects (live ops queued during a backlog, or a push of this process). */
function opsPage(ops: StoredOp[]): FramePage {
  return pageOf(ops, () => JSON.stringify({ type: "ops", ops } satisfies OpsFrame));
}

function pageOf(ops: readonly StoredOp[], serialize: () => string): FramePage {
  let frame: string | undefined;
  return {
    ops,
    devices: new Set(ops.map((op) => op.device_id)),
    frame: () => (frame ??= serialize()),
  };
}
