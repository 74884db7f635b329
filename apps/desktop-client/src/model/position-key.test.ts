import fc from "fast-check";
import { generateKeyBetween } from "fractional-indexing";
import { describe, expect, it } from "vitest";
import { DEVICE_SUFFIX_LENGTH, deviceSuffix, positionBetween } from "./position-key.js";

/** Valid keys made by a random walk of inserts, sorted and distinct. */
const sortedKeys = fc
  .array(fc.tuple(fc.nat(), fc.constantFrom("x", "y")), { minLength: 2, maxLength: 30 })
  .map((steps) => {
    const keys: string[] = [];
    for (const [at, device] of steps) {
      const i = keys.length === 0 ? 0 : at % (keys.length + 1);
      keys.splice(
        i,
        0,
        positionBetween(keys[i - 1] ?? null, keys[i] ?? null, deviceSuffix(device)),
      );
    }
    return keys;
  });

/** Two distinct bounds (either may be open), lower first. */
const bounds = fc
  .tuple(sortedKeys, fc.nat(), fc.nat(), fc.boolean(), fc.boolean())
  .map(([keys, i, j, openLow, openHigh]) => {
    const [x, y] = [i % keys.length, j % keys.length].sort((p, q) => p - q) as [number, number];
    const low = openLow ? null : keys[x]!;
    const high = openHigh || x === y ? null : keys[y]!;
    return { low, high };
  });

const deviceIds = fc.tuple(fc.uuid(), fc.uuid()).filter(([a, b]) => a !== b);

describe("deviceSuffix", () => {
  it("is base-62, of fixed length, never ending in 0, and the same for the same device", () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        const suffix = deviceSuffix(id);
        expect(suffix).toMatch(new RegExp(`^[0-9A-Za-z]{${DEVICE_SUFFIX_LENGTH - 1}}[1-9A-Za-z]$`));
        expect(deviceSuffix(id)).toBe(suffix);
      }),
    );
  });
});

describe("positionBetween", () => {
  it("two devices inserting at the same place get distinct keys, both strictly between (property)", () => {
    fc.assert(
      fc.property(bounds, deviceIds, ({ low, high }, [a, b]) => {
        fc.pre(deviceSuffix(a) !== deviceSuffix(b));
        const ka = positionBetween(low, high, deviceSuffix(a));
        const kb = positionBetween(low, high, deviceSuffix(b));
        expect(ka).not.toBe(kb);
        for (const key of [ka, kb]) {
          if (low !== null) expect(key > low).toBe(true);
          if (high !== null) expect(key < high).toBe(true);
          // still a valid key: the library accepts it as a bound
          expect(() => generateKeyBetween(key, null)).not.toThrow();
        }
      }),
    );
  });

  it("stays below an upper bound the library's key is a prefix of", () => {
    expect(generateKeyBetween("a0U", "a0V5")).toBe("a0V");
    const key = positionBetween("a0U", "a0V5", "zzzzzzzz");
    expect(key > "a0U" && key < "a0V5").toBe(true);
  });

  it("refuses bounds out of order", () => {
    expect(() => positionBetween("a1", "a0", "x")).toThrow(/not below/);
  });
});
