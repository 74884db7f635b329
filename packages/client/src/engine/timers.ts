import type { Cancel, Scheduler } from "@syncline/protocol";

/** The engine's timers, by name: at most one of each runs. */
export type TimerName = "drain" | "reconnect" | "ack" | "settle" | "ping" | "pong";

/**
 * Named one-shot timers on the engine's {@link Scheduler}: setting a name
 * again replaces its timer, and nothing is set while the client is stopped.
 */
export class Timers {
  readonly #scheduler: Scheduler;
  readonly #active: () => boolean;
  readonly #timers = new Map<TimerName, Cancel>();

  /** @param active whether timers may be set (the client is started) */
  constructor(scheduler: Scheduler, active: () => boolean) {
    this.#scheduler = scheduler;
    this.#active = active;
  }

  /** Runs `callback` after `ms`, replacing the timer of that name; ignored while stopped. */
  set(name: TimerName, ms: number, callback: () => void): void {
    if (!this.#active()) return;
    this.#timers.get(name)?.();
    this.#timers.set(
      name,
      this.#scheduler.schedule(ms, () => {
        this.#timers.delete(name);
        callback();
      }),
    );
  }

  /** Cancels the timer of that name, if any. */
  clear(name: TimerName): void {
    this.#timers.get(name)?.();
    this.#timers.delete(name);
  }

  /** Whether a timer of that name waits. */
  has(name: TimerName): boolean {
    return this.#timers.has(name);
  }

  /** Cancels every timer. */
  clearAll(): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }
}
