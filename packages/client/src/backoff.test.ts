import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  it("doubles its ceiling per attempt up to the cap; jitter spans the upper half", () => {
    const options = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options, 0.999_999))).toEqual(
      [100, 200, 400, 800, 1000, 1000].map((c) => expect.closeTo(c, 0)),
    );
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options, 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });

  it("stays within [ceiling/2, ceiling] for any attempt and jitter (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, random) => {
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
          const delay = backoffDelay(attempt, { baseMs, maxMs }, random);
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(Number.isFinite(delay)).toBe(true);
        },
      ),
    );
  });
});
