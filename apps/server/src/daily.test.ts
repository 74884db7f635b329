import { describe, expect, it } from "vitest";
import { msUntilDaily } from "./daily.js";

describe("msUntilDaily (the nightly compaction schedule)", () => {
  it("waits until the time later today, or the same time tomorrow once it has passed", () => {
    const now = new Date("2026-11-25T01:30:00Z");
    expect(msUntilDaily("03:00", now)).toBe(90 * 60_000);
    expect(msUntilDaily("01:30", now)).toBe(24 * 3_600_000);
    expect(msUntilDaily("00:15", now)).toBe(22 * 3_600_000 + 45 * 60_000);
  });
});
