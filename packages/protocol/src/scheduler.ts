/** Cancels a scheduled callback; calling it again, or after the callback ran, does nothing. */
export type Cancel = () => void;

/** Options of {@link Scheduler.schedule}. */
export interface ScheduleOptions {
  /** Whether the pending timer keeps a Node process alive. @default true */
  readonly keepAlive?: boolean;
}

/**
 * Time as every Syncline part sees it: the client's backoff, ACK debounce and
 * heartbeat, the server's ACK flushes, fan-out waits and token expiry all go
 * through one of these, so tests (and the simulation) drive time by hand
 * instead of sleeping.
 */
export interface Scheduler {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Runs `callback` once after `ms` milliseconds, however long that is.
   * With `keepAlive: false` the timer does not keep a Node process alive
   * (a periodic flush, a far-off expiry); by default it does.
   */
  schedule(ms: number, callback: () => void, options?: ScheduleOptions): Cancel;
}

/** The longest delay one `setTimeout` honours (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The real clock: `Date.now()` and `setTimeout`. Delays beyond what one
 * `setTimeout` holds (a 30-day token's expiry) are waited out in steps. A
 * callback never runs synchronously, even after 0 ms.
 */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(ms, callback, options) {
    const at = Date.now() + ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      const delay = at - Date.now();
      if (delay <= 0 && timer !== undefined) return callback();
      timer = setTimeout(arm, Math.min(Math.max(delay, 0), MAX_TIMER_DELAY_MS));
      if (options?.keepAlive === false) (timer as { unref?: () => void }).unref?.();
    };
    arm();
    return () => clearTimeout(timer);
  },
};
