import { afterEach, describe, expect, it, vi } from "vitest";
import { systemScheduler } from "./scheduler.js";

afterEach(() => {
  vi.useRealTimers();
});

const DAY = 24 * 60 * 60 * 1000;

describe("systemScheduler", () => {
  it("R35 (4401 at expiry): waits out a 30-day delay, past the 32-bit timer limit, instead of firing at once", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    systemScheduler.schedule(30 * DAY, fired);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * DAY);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("lets a keepAlive: false timer not hold the process, and keeps the others", () => {
    const refs: boolean[] = [];
    const real = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void, ms: number) => {
      const timer = real(fn, ms);
      refs.push(timer.hasRef());
      const unref = timer.unref.bind(timer);
      timer.unref = () => {
        refs[refs.length - 1] = false;
        return unref();
      };
      return timer;
    }) as typeof setTimeout;
    try {
      const cancels = [
        systemScheduler.schedule(1000, () => {}),
        systemScheduler.schedule(1000, () => {}, { keepAlive: false }),
      ];
      expect(refs).toEqual([true, false]);
      for (const cancel of cancels) cancel();
    } finally {
      globalThis.setTimeout = real;
    }
  });

  it("never runs a callback synchronously, and not at all once cancelled", () => {
    vi.useFakeTimers();
    const soon = vi.fn();
    systemScheduler.schedule(0, soon);
    expect(soon).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(soon).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    const cancel = systemScheduler.schedule(40 * DAY, cancelled);
    vi.advanceTimersByTime(30 * DAY);
    cancel();
    vi.advanceTimersByTime(30 * DAY);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
