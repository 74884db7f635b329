import { MAX_LAMPORT_TS } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { receiveRemote, tickLocal } from "./lamport.js";

describe("Lamport clock (seed: +1 per local op, max(local, remote)+1 per received op)", () => {
  it("ticks by one for a local op", () => {
    expect(tickLocal(0)).toBe(1);
    expect(tickLocal(41)).toBe(42);
  });

  it("jumps past a remote stamp, and still ticks when the remote is behind", () => {
    expect(receiveRemote(3, 10)).toBe(11);
    expect(receiveRemote(10, 3)).toBe(11);
    expect(receiveRemote(10, 10)).toBe(11);
  });

  it("refuses to pass MAX_LAMPORT_TS", () => {
    expect(() => tickLocal(MAX_LAMPORT_TS)).toThrow(RangeError);
    expect(() => receiveRemote(1, MAX_LAMPORT_TS)).toThrow(RangeError);
  });

  it("never decreases and ends above every remote stamp seen (property)", () => {
    const event = fc.oneof(
      fc.constant({ kind: "local" as const }),
      fc.record({ kind: fc.constant("remote" as const), ts: fc.integer({ min: 1, max: 1e12 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.array(event, { maxLength: 50 }),
        (start, events) => {
          let clock = start;
          let maxRemote = 0;
          for (const e of events) {
            const next = e.kind === "local" ? tickLocal(clock) : receiveRemote(clock, e.ts);
            expect(next).toBeGreaterThan(clock);
            if (e.kind === "remote") {
              maxRemote = Math.max(maxRemote, e.ts);
              expect(next).toBeGreaterThan(e.ts);
            }
            clock = next;
          }
          expect(clock).toBeGreaterThan(events.length > 0 ? maxRemote : -1);
          expect(clock).toBeGreaterThanOrEqual(start + events.length);
        },
      ),
    );
  });
});
