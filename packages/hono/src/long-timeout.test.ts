import { afterEach, describe, expect, it, vi } from "vitest";
import { setTimeoutAt } from "./long-timeout.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("setTimeoutAt", () => {
  it("R35 (4401 at expiry): waits out a 30-day delay instead of firing at once", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const day = 24 * 60 * 60 * 1000;
    setTimeoutAt(Date.now() + 30 * day, fired);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * day);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(day);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("fires at once for a time already past, and not at all once cancelled", () => {
    vi.useFakeTimers();
    const past = vi.fn();
    setTimeoutAt(Date.now() - 1, past);
    expect(past).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    const cancel = setTimeoutAt(Date.now() + 40 * 24 * 60 * 60 * 1000, cancelled);
    vi.advanceTimersByTime(30 * 24 * 60 * 60 * 1000);
    cancel();
    vi.advanceTimersByTime(30 * 24 * 60 * 60 * 1000);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
