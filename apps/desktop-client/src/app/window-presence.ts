import { type Cancel, systemScheduler } from "@syncline/client";

/** How long the app waits, after its last window left, for one to come back (a reload) before it quits. */
export const DEFAULT_LAST_WINDOW_GRACE_MS = 5000;

/**
 * Tells when the app's last window closed: each window holds the live-event
 * stream open, so when the count of streams falls to 0 after at least one
 * was connected and stays 0 for `graceMs` (a reload reconnects well within
 * it), `onLastWindowClosed` runs, once. Before the first window connects it
 * never runs: a browser that failed to start leaves the app serving its URL.
 */
export class WindowPresence {
  readonly #graceMs: number;
  readonly #onLastWindowClosed: () => void;
  #seen = false;
  #done = false;
  #pending: Cancel | undefined;

  constructor(options: {
    readonly onLastWindowClosed: () => void;
    readonly graceMs?: number;
  }) {
    this.#onLastWindowClosed = options.onLastWindowClosed;
    this.#graceMs = options.graceMs ?? DEFAULT_LAST_WINDOW_GRACE_MS;
  }

  /** The number of connected windows changed to `count`. */
  windows(count: number): void {
    if (this.#done) return;
    this.#pending?.();
    this.#pending = undefined;
    if (count > 0) {
      this.#seen = true;
      return;
    }
    if (!this.#seen) return;
    this.#pending = systemScheduler.schedule(this.#graceMs, () => {
      this.#pending = undefined;
      this.#done = true;
      this.#onLastWindowClosed();
    });
  }

  /** Stops watching: a pending quit is cancelled. */
  dispose(): void {
    this.#done = true;
    this.#pending?.();
    this.#pending = undefined;
  }
}
