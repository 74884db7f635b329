import { LAMPORT_RECEIVE_CEILING, MAX_LAMPORT_TS, MAX_STORED_LAMPORT_TS } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { receiveRemote, tickLocal } from "./lamport.js";

describe("Lamport clock (seed: +1 per local op, max(local, remote)+1 per received op)", () => {
  it("R41: ticks by one for a local op", () => {
    expect(tickLocal(0)).toBe(1);
    expect(tickLocal(41)).toBe(42);
  });

  it("jumps past a remote stamp, and still ticks when the remote is behind", () => {
    expect(receiveRemote(3, 10)).toBe(11);
    expect(receiveRemote(10, 3)).toBe(11);
    expect(receiveRemote(10, 10)).toBe(11);
  });

  it("R43 (lamport limit): a local op never passes MAX_LAMPORT_TS", () => {
    expect(tickLocal(MAX_LAMPORT_TS - 1)).toBe(MAX_LAMPORT_TS);
    expect(() => tickLocal(MAX_LAMPORT_TS)).toThrow(RangeError);
  });

  it("R42 (receive ceiling): a peer's huge stamp raises the clock to the ceiling only, and never throws", () => {
    for (const remote of [MAX_LAMPORT_TS, MAX_STORED_LAMPORT_TS - 1, MAX_STORED_LAMPORT_TS]) {
      expect(receiveRemote(5, remote)).toBe(LAMPORT_RECEIVE_CEILING + 1);
    }
    // 2^51 local ops of headroom remain after the worst jump.
    expect(MAX_LAMPORT_TS - (LAMPORT_RECEIVE_CEILING + 1)).toBeGreaterThanOrEqual(2 ** 51 - 1);
    // A clock already at the limit stays there instead of throwing or going back.
    expect(receiveRemote(MAX_LAMPORT_TS, MAX_STORED_LAMPORT_TS)).toBe(MAX_LAMPORT_TS);
    expect(receiveRemote(MAX_STORED_LAMPORT_TS, 3)).toBe(MAX_STORED_LAMPORT_TS);
  });

  it("R42: no sequence of received stamps, however large, takes the clock past the ceiling + 1 or stops local ops (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: LAMPORT_RECEIVE_CEILING }),
        fc.array(fc.integer({ min: 1, max: MAX_STORED_LAMPORT_TS }), { maxLength: 30 }),
        (start, remotes) => {
          let clock = start;
          for (const remote of remotes) {
            const next = receiveRemote(clock, remote);
            expect(next).toBeGreaterThan(clock);
            clock = next;
          }
          expect(clock).toBeLessThanOrEqual(
            Math.max(start, LAMPORT_RECEIVE_CEILING) + remotes.length,
          );
          expect(tickLocal(clock)).toBe(clock + 1);
        },
      ),
    );
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
