import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type JsonValue, jsonByteLength, jsonFitsIn } from "./json.js";

describe("jsonFitsIn", () => {
  it("agrees with the encoded byte length for every value and bound (property)", () => {
    const value = fc.jsonValue({ stringUnit: "binary" }) as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(value, fc.double({ min: 0, max: 1, noNaN: true }), (json, at) => {
        const bytes = jsonByteLength(json);
        // Bounds around the true size, up to three times the text's length (the shortcut's edge).
        const bound = Math.floor(at * 3 * JSON.stringify(json).length);
        expect(jsonFitsIn(json, bound)).toBe(bytes <= bound);
        expect(jsonFitsIn(json, bytes)).toBe(true);
        expect(jsonFitsIn(json, bytes - 1)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("settles a value of 3-byte characters right at the bound", () => {
    const text = "€".repeat(100); // 3 bytes each in UTF-8, one UTF-16 unit each
    expect(jsonFitsIn(text, 302)).toBe(true);
    expect(jsonFitsIn(text, 301)).toBe(false);
  });
});
