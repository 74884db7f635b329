import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catchUpFraction } from "./catch-up-progress.js";

describe("catchUpFraction (C14)", () => {
  it("is the part of the id range covered, and unknown without a head or during a snapshot", () => {
    expect(catchUpFraction({ phase: "pull", since: 100, reached: 150, head: 300 })).toBe(0.25);
    expect(catchUpFraction({ phase: "pull", since: 100, reached: 300, head: 300 })).toBe(1);
    expect(catchUpFraction({ phase: "pull", since: 100, reached: 150, head: null })).toBeNull();
    expect(catchUpFraction({ phase: "snapshot", fieldsLoaded: 4000 })).toBeNull();
  });

  it("stays within 0..1 and grows with reached, whatever the ids (a later page's head may pass an earlier one)", () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e9), fc.nat(1e9), fc.nat(1e9), (since, a, b, headOffset) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const head = since + headOffset;
        const at = (reached: number) =>
          catchUpFraction({ phase: "pull", since, reached: since + reached, head })!;
        expect(at(low)).toBeGreaterThanOrEqual(0);
        expect(at(high)).toBeLessThanOrEqual(1);
        expect(at(high)).toBeGreaterThanOrEqual(at(low));
      }),
    );
  });
});
