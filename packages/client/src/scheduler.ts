/** Cancels a scheduled callback; calling it again, or after the callback ran, does nothing. */
export type Cancel = () => void;

/**
 * Time as the sync engine sees it. Every delay the client waits (backoff,
 * ACK debounce, heartbeat) goes through one of these, so tests drive time by
 * hand instead of sleeping.
 */
export interface Scheduler {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  schedule(ms: number, callback: () => void): Cancel;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
