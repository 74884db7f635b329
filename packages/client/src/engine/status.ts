import type { CatchUpProgress } from "../catch-up-progress.js";
import type { FailedOp } from "../store.js";
import type { SyncIssue } from "../transport.js";
import { Listeners } from "./listeners.js";

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
  /** How far a catch-up of more than one page has got (C14), or null when none runs. */
  readonly catchUp: CatchUpProgress | null;
}

function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  return (
    a.state === b.state &&
    a.pendingCount === b.pendingCount &&
    a.failedOps === b.failedOps &&
    a.lastSyncedAt === b.lastSyncedAt &&
    a.lastError === b.lastError &&
    a.catchUp === b.catchUp
  );
}

/**
 * The one subscribable of the client's status. The status is derived, never
 * assembled by hand: `derive` reads it from the engine's parts, and every part
 * calls {@link StatusPublisher.refresh} after it changed something; listeners
 * hear only real changes.
 */
export class StatusPublisher {
  readonly #derive: () => SyncStatus;
  readonly #listeners = new Listeners<SyncStatus>();
  #current: SyncStatus;

  constructor(derive: () => SyncStatus) {
    this.#derive = derive;
    this.#current = derive();
  }

  /** The status as last published. */
  get current(): SyncStatus {
    return this.#current;
  }

  /** Calls `listener` with each new status; returns the unsubscribe function. */
  subscribe(listener: (status: SyncStatus) => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Derives the status again and tells the listeners when it changed. A throwing listener is reported, not propagated. */
  refresh(): void {
    const next = this.#derive();
    if (sameStatus(next, this.#current)) return;
    this.#current = next;
    this.#listeners.notify(next);
  }
}

/** The engine's record of how the exchange with the server goes. */
export class SyncHealth {
  /** When (scheduler ms) an exchange last completed, or null. */
  lastSyncedAt: number | null = null;
  /** The most recent failure, or null after a success. */
  lastError: SyncIssue | null = null;
}
