import type { Cancel, Scheduler } from "@syncline/protocol";
import { inFlightSettled } from "./in-flight-work.js";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly ms: number;
  readonly callback: () => void;
}

/**
 * Lets every pending promise chain run: five idle turns of the event loop,
 * waiting out any tracked work in flight first (an in-process server's
 * requests, see `trackInFlight`), and five more after it.
 */
export async function settle(): Promise<void> {
  for (let turns = 0; turns < 5; turns++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (await inFlightSettled()) turns = -1;
  }
}

/**
 * Waits (by settling, not sleeping) until `predicate` holds; throws after
 * `rounds` tries. The predicate may be async (e.g. it reads a store).
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  rounds = 200,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await predicate()) return;
    await settle();
  }
  throw new Error("condition never became true");
}

/** A {@link Scheduler} whose time moves only when a test says so. */
export class ManualScheduler implements Scheduler {
  #now: number;
  #timers: Timer[] = [];
  #seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, callback: () => void): Cancel {
    const timer = { id: ++this.#seq, at: this.#now + ms, ms, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Delays of the timers still waiting, in the order they were set. */
  get pending(): number[] {
    return this.#timers.map((t) => t.ms);
  }

  /** Moves time forward by `ms`, running (and settling after) each timer that falls due. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#earliest();
      if (!due || due.at > target) break;
      await this.#run(due);
    }
    this.#now = target;
    await settle();
  }

  /**
   * Moves time forward by `ms` at once, as a machine that slept: every timer
   * that fell due in between runs once, late, at the new time (in the order
   * they fell due); timers they set are measured from the new time.
   */
  async jump(ms: number): Promise<void> {
    this.#now += ms;
    const due = this.#timers
      .filter((t) => t.at <= this.#now)
      .sort((a, b) => a.at - b.at || a.id - b.id);
    for (const timer of due) {
      if (this.#timers.includes(timer)) await this.#run(timer);
    }
    await settle();
  }

  /** Jumps to the earliest timer and runs it; returns its delay. */
  async next(): Promise<number> {
    const due = this.#earliest();
    if (!due) throw new Error("no timer is pending");
    await this.#run(due);
    return due.ms;
  }

  #earliest(): Timer | undefined {
    return this.#timers.reduce<Timer | undefined>(
      (best, t) => (!best || t.at < best.at || (t.at === best.at && t.id < best.id) ? t : best),
      undefined,
    );
  }

  async #run(timer: Timer): Promise<void> {
    this.#timers = this.#timers.filter((t) => t !== timer);
    this.#now = Math.max(this.#now, timer.at);
    timer.callback();
    await settle();
  }
}
