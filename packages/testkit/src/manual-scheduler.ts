import type { Cancel, Scheduler } from "@syncline/protocol";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly ms: number;
  readonly callback: () => void;
}

/** Lets every pending promise chain run (the fakes answer with microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (by settling, not sleeping) until `predicate` holds; throws after `rounds` tries. */
export async function until(predicate: () => boolean, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (predicate()) return;
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
