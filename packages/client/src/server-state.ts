import {
  applyOpTo,
  closeRecovery,
  DEFAULT_PULL_LIMIT,
  DEFAULT_SNAPSHOT_LIMIT,
  type LwwTarget,
  type MaterializedState,
  materialize,
  type Scheduler,
  type StoredOp,
  type SyncState,
  syncStateTarget,
  systemScheduler,
} from "@syncline/protocol";
import type { BackoffOptions } from "./backoff.js";
import {
  type CatchUpProgress,
  reportingPullProgress,
  reportingSnapshotProgress,
} from "./catch-up-progress.js";
import { HEARTBEAT_TIMED_OUT, Heartbeat, type HeartbeatOptions } from "./engine/heartbeat.js";
import { Listeners } from "./engine/listeners.js";
import { MAX_RECOVERIES } from "./engine/pusher.js";
import { RetryCounter } from "./engine/retry.js";
import { Timers } from "./engine/timers.js";
import { type PageReadEnd, pullPages, readSnapshot } from "./page-reads.js";
import { applySnapshotTo } from "./snapshot-apply.js";
import {
  type Credentials,
  isMissingRoute,
  issueOf,
  recoveryOf,
  type SyncIssue,
  type Transport,
  type TransportFailure,
  type TransportResult,
  type TransportSocket,
} from "./transport.js";

/**
 * - `loading`: reading the state anew (snapshot and the pull after it);
 *   `state()` is still the last complete state (empty at first).
 * - `live`: the socket is open; ops frames are applied as they come.
 * - `offline`: no link (the server is unreachable, or the socket dropped);
 *   a reconnect is scheduled with backoff.
 * - `error`: the server refused: the token (retried with backoff, asking
 *   `credentials` again), a request it rejects, or a frame of ours (neither
 *   retried); `lastError` says which. After `close()`, `offline`.
 */
export type ServerStateStatus = "loading" | "live" | "offline" | "error";

/** Options of {@link watchServerState}. */
export interface WatchServerStateOptions extends HeartbeatOptions {
  /** How the server is reached, e.g. `createHttpTransport({ url })`. */
  readonly transport: Transport;
  /**
   * The credentials of each request and socket, asked anew each time (so a
   * refreshed token is used). `deviceId` must be an id of this view's own
   * (e.g. `uuidv7()`, made once per view), never a syncing device's: the
   * server sends no socket the pushes of its own device (R32), and a view
   * never ACKs, so its id never holds compaction back (R57). A token with a
   * `device_id` claim must name that id (R6).
   */
  readonly credentials: () => Credentials | Promise<Credentials>;
  /** Watch only this entity type (the snapshot is filtered on the server). @default every type */
  readonly entityType?: string;
  /** Time source of the backoff and the heartbeat. @default systemScheduler */
  readonly scheduler?: Scheduler;
  /** Backoff of reconnects. @default { baseMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffOptions;
  /** Random numbers in [0, 1) for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** `limit` (fields) of each snapshot page. @default DEFAULT_SNAPSHOT_LIMIT (1000) */
  readonly snapshotLimit?: number;
  /** `limit` of each pull. @default DEFAULT_PULL_LIMIT (1000) */
  readonly pullLimit?: number;
}

/** A read-only live view of the server's state, without a local copy (see {@link watchServerState}). */
export interface ServerStateWatch {
  /** Where the view stands. */
  readonly status: ServerStateStatus;
  /** The most recent failure, or null once the socket opened again. */
  readonly lastError: SyncIssue | null;
  /** How far a read of more than one page has got (C14), or null when none runs. */
  readonly catchUp: CatchUpProgress | null;
  /**
   * The server's visible state (R52): entity_type → entity_id → field →
   * value; with `entityType`, that type only. The same object until the
   * state changes, so it suits `useSyncExternalStore`.
   */
  state(): MaterializedState;
  /** Calls `listener` after every change of `state()`, `status`, `lastError` or `catchUp`; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Closes the socket and cancels every timer; the view stays as it was, `offline`. */
  close(): void;
}

/**
 * Watches the server's state live, holding it in memory only (for a
 * "server-connected" screen that shows what the server has, with no device
 * store): it reads the snapshot page by page into a fresh state, pulls from
 * its `as_of` (R74), swaps the result in, then opens the socket from the
 * highest id applied and applies each `ops` frame by the reducer (R48–R51).
 * A dropped socket reconnects with backoff, catching up by pull from that id
 * first (R29); a 410, a `resync_required` frame or close 4410 loads the
 * snapshot again. It never pushes and never ACKs (R28 is for a device's
 * durable copy). A server without the snapshot route (404) is read by pull
 * from 0 instead.
 * @example
 * const view = watchServerState({
 *   transport: createHttpTransport({ url }),
 *   credentials: () => ({ token, deviceId: viewId }),
 *   entityType: "playlist",
 * });
 * view.subscribe(() => render(view.state().playlist ?? {}, view.status));
 */
export function watchServerState(options: WatchServerStateOptions): ServerStateWatch {
  return new ServerStateWatcher(options);
}

/** Ops of `entityType` (or every op) applied to `target`. @returns whether `target` changed */
function applyOps(target: LwwTarget, ops: readonly StoredOp[], entityType?: string): boolean {
  let changed = false;
  for (const op of ops) {
    if (entityType === undefined || op.entity_type === entityType) {
      changed = applyOpTo(target, op) || changed;
    }
  }
  return changed;
}

class ServerStateWatcher implements ServerStateWatch {
  readonly #options: WatchServerStateOptions;
  readonly #timers: Timers;
  readonly #reconnects: RetryCounter;
  readonly #heartbeat: Heartbeat;
  readonly #listeners = new Listeners<void>();
  #status: ServerStateStatus = "loading";
  #lastError: SyncIssue | null = null;
  #catchUp: CatchUpProgress | null = null;
  #state: SyncState = new Map();
  #target: LwwTarget = syncStateTarget(this.#state);
  #materialized: MaterializedState | undefined;
  /** The highest id applied (or the snapshot's `as_of`): where the next catch-up and socket start. */
  #position = 0;
  /** The state is to be read anew: at the start, and after a 410 or `resync_required`. */
  #reload = true;
  /** The server answered the snapshot with 404: it has no such route. */
  #noSnapshots = false;
  /** Numbers each connection attempt; callbacks of an older one are ignored. */
  #attempt = 0;
  #socket: TransportSocket | undefined;
  #closed = false;

  constructor(options: WatchServerStateOptions) {
    this.#options = options;
    this.#timers = new Timers(options.scheduler ?? systemScheduler, () => !this.#closed);
    this.#reconnects = new RetryCounter(options.backoff ?? {}, options.random ?? Math.random);
    this.#heartbeat = new Heartbeat(
      this.#timers,
      options,
      () => this.#socket?.send({ type: "ping" }),
      () => {
        this.#disconnect();
        this.#retry("offline", { type: "network", message: HEARTBEAT_TIMED_OUT });
      },
    );
    void this.#connect();
  }

  get status(): ServerStateStatus {
    return this.#status;
  }

  get lastError(): SyncIssue | null {
    return this.#lastError;
  }

  get catchUp(): CatchUpProgress | null {
    return this.#catchUp;
  }

  state(): MaterializedState {
    this.#materialized ??= materialize(this.#state);
    return this.#materialized;
  }

  subscribe(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timers.clearAll();
    this.#disconnect();
    this.#set("offline", this.#lastError);
    this.#listeners.clear();
  }

  /** Reads (anew, or from the position), then opens the socket; on failure, retries after the backoff. */
  async #connect(): Promise<void> {
    const attempt = ++this.#attempt;
    const current = () => !this.#closed && attempt === this.#attempt;
    try {
      const end = await this.#read(current);
      if (!current() || end.kind === "stopped") return;
      if (end.kind === "failed") {
        this.#failed(end.failure);
        return;
      }
      const credentials = await this.#options.credentials();
      if (current()) this.#open(attempt, credentials);
    } catch (error) {
      if (!current()) return;
      const message = error instanceof Error ? error.message : String(error);
      this.#retry("error", { type: "auth_required", message: `no credentials: ${message}` });
    }
  }

  /** Catches up from the position, or reads the state anew when due (also after a 410, at most `MAX_RECOVERIES` times in a row). */
  async #read(current: () => boolean): Promise<PageReadEnd> {
    try {
      return await this.#readToEnd(current);
    } finally {
      this.#report(null);
    }
  }

  async #readToEnd(current: () => boolean): Promise<PageReadEnd> {
    for (let reloads = 0; ; reloads++) {
      const end = this.#reload
        ? await this.#load(current)
        : await this.#pull(this.#position, false, current, (ops) => {
            this.#position = ops.at(-1)?.id ?? this.#position;
            if (applyOps(this.#target, ops, this.#options.entityType)) this.#changed();
          });
      if (end.kind !== "failed" || recoveryOf(end.failure) !== "reset") return end;
      if (reloads >= MAX_RECOVERIES) return end;
      this.#reload = true;
    }
  }

  /**
   * Reads the state anew into a fresh `SyncState`: the snapshot (or, from a
   * server without it, the log from 0), then the pull after it (R74); swaps it
   * in when complete, so the view never shows a partial read.
   */
  async #load(current: () => boolean): Promise<PageReadEnd> {
    const { transport, entityType } = this.#options;
    this.#set("loading", this.#lastError);
    const state: SyncState = new Map();
    const target = syncStateTarget(state);
    let since = 0;
    let afterSnapshot = false;
    if (!this.#noSnapshots) {
      const progress = reportingSnapshotProgress((p) => this.#report(p));
      const read = await readSnapshot(
        (query) => this.#send((c) => transport.snapshot(query, c)),
        {
          limit: this.#options.snapshotLimit ?? DEFAULT_SNAPSHOT_LIMIT,
          ...(entityType === undefined ? {} : { entityType }),
        },
        (page, position) => {
          applySnapshotTo(target, page.entities);
          progress(page, position);
        },
        current,
      );
      if (read.kind === "done") {
        since = read.asOf;
        afterSnapshot = true;
      } else if (read.kind === "failed" && isMissingRoute(read.failure)) this.#noSnapshots = true;
      else return read;
    }
    let position = since;
    const end = await this.#pull(since, afterSnapshot, current, (ops) => {
      position = ops.at(-1)?.id ?? position;
      applyOps(target, ops, entityType);
    });
    if (end.kind !== "done") return end;
    this.#state = state;
    this.#target = target;
    this.#position = position;
    this.#reload = false;
    this.#changed();
    return end;
  }

  #pull(
    since: number,
    resync: boolean,
    current: () => boolean,
    take: (ops: StoredOp[]) => void,
  ): Promise<PageReadEnd> {
    const { transport, pullLimit } = this.#options;
    const progress = reportingPullProgress(since, (p) => this.#report(p));
    return pullPages(
      (query) => this.#send((c) => transport.pull(query, c)),
      { since, limit: pullLimit ?? DEFAULT_PULL_LIMIT, resync },
      (page) => {
        take(page.ops);
        progress(page);
      },
      current,
    );
  }

  async #send<T>(
    request: (credentials: Credentials) => Promise<TransportResult<T>>,
  ): Promise<TransportResult<T>> {
    return request(await this.#options.credentials());
  }

  /** Opens the socket from the position (R31): live once it opens, frames applied as they come. */
  #open(attempt: number, credentials: Credentials): void {
    const current = () => !this.#closed && attempt === this.#attempt;
    this.#socket = this.#options.transport.connect(this.#position, credentials, {
      open: () => {
        if (!current()) return;
        this.#heartbeat.start();
        this.#set("live", null);
      },
      frame: (frame) => {
        if (!current()) return;
        this.#heartbeat.heard();
        this.#reconnects.reset();
        if (frame.type === "resync_required") this.#reload = true; // close 4410 follows (R30)
        if (frame.type !== "ops") return;
        this.#position = Math.max(this.#position, frame.ops.at(-1)?.id ?? 0);
        if (applyOps(this.#target, frame.ops, this.#options.entityType)) this.#changed();
      },
      close: (reason, code) => {
        if (!current()) return;
        this.#disconnect();
        const recovery = closeRecovery(code);
        if (recovery === "reset") this.#reload = true;
        if (recovery === "stop") {
          // R35: the server refused a frame of ours; reconnecting would loop.
          this.#set("error", { type: "protocol", message: reason });
          return;
        }
        this.#retry("offline", { type: "network", message: reason });
      },
    });
  }

  /** Forgets the socket (closing it) and its heartbeat; its late events are ignored. */
  #disconnect(): void {
    this.#attempt++;
    this.#heartbeat.stop();
    this.#socket?.close();
    this.#socket = undefined;
  }

  /** A read failed: retry after the backoff, unless the server rejects the request itself (R38). */
  #failed(failure: TransportFailure): void {
    const issue = issueOf(failure);
    const recovery = recoveryOf(failure);
    if (recovery === "reject" || recovery === "restamp") this.#set("error", issue);
    else this.#retry(recovery === "reauthenticate" ? "error" : "offline", issue);
  }

  /** Records the failure and connects again after the backoff. */
  #retry(status: "offline" | "error", issue: SyncIssue): void {
    this.#set(status, issue);
    this.#timers.set("reconnect", this.#reconnects.nextDelay(), () => void this.#connect());
  }

  #set(status: ServerStateStatus, lastError: SyncIssue | null): void {
    if (status === this.#status && lastError === this.#lastError) return;
    this.#status = status;
    this.#lastError = lastError;
    this.#listeners.notify();
  }

  #report(progress: CatchUpProgress | null): void {
    if (progress === this.#catchUp) return;
    this.#catchUp = progress;
    this.#listeners.notify();
  }

  #changed(): void {
    this.#materialized = undefined;
    this.#listeners.notify();
  }
}
