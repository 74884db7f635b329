import { UuidSchema } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "./uuid-v7.js";

describe("uuidv7", () => {
  it("lays out the timestamp, version 7 and variant 10 (RFC 9562 §5.7)", () => {
    const zeros = (bytes: Uint8Array) => bytes.fill(0);
    const ones = (bytes: Uint8Array) => bytes.fill(0xff);
    expect(uuidv7(0x0192f5c13b7e, zeros)).toBe("0192f5c1-3b7e-7000-8000-000000000000");
    expect(uuidv7(0x0192f5c13b7e, ones)).toBe("0192f5c1-3b7e-7fff-bfff-ffffffffffff");
  });

  it("is a UUID the protocol accepts, ordered by time, distinct (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 1e6 }),
        (ms, later) => {
          const a = uuidv7(ms);
          const b = uuidv7(Math.min(ms + later, 2 ** 48 - 1));
          expect(UuidSchema.safeParse(a).success).toBe(true);
          expect(a[14]).toBe("7");
          expect(["8", "9", "a", "b"]).toContain(a[19]);
          expect(Number.parseInt(a.slice(0, 8) + a.slice(9, 13), 16)).toBe(ms);
          expect(a < b).toBe(true);
        },
      ),
    );
    const many = new Set(Array.from({ length: 10_000 }, () => uuidv7(1)));
    expect(many.size).toBe(10_000);
  });
});
