import { MAX_PULL_LIMIT, materialize, type Op, reduceOps } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pullAll } from "./log.js";
import { uuid } from "./ops.js";
import { opOfWrite, randomWriteFields } from "./random-writes.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

const NOW = new Date("2030-01-01T00:00:00Z");

/** One step of a random log: which device writes, and what. */
const step = fc.record({ device: fc.nat({ max: 2 }), ...randomWriteFields });

/** Every device converges after any compaction (R22, R59, R62; property). */
export function describeConvergenceConformance(open: OpenConformanceSubject): void {
  describe("compaction convergence (property)", () => {
    const store = storeUnderTest(open);

    it("R62 (compaction invariants), R59 (collapse), R22: state at any cursor >= MIN plus the compacted log after it equals the reducer over the full log", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 40, size: "max" }),
          fc.array(fc.integer({ min: 20, max: 100 }), { minLength: 1, maxLength: 3 }),
          fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50)),
          async (steps, cursorPositions, clockStarts) => {
            const user = uuid();
            const devices = [uuid(), uuid(), uuid()];
            // One Lamport clock per device, from a random start: lamport order is not id order.
            const clocks = [...clockStarts];
            // Push in runs of consecutive steps by the same device, one batch per run.
            let run: Op[] = [];
            let runDevice = steps[0]!.device;
            const flush = async () => {
              if (run.length > 0) await store().push(user, devices[runDevice]!, run);
              run = [];
            };
            for (const s of steps) {
              if (s.device !== runDevice) {
                await flush();
                runDevice = s.device;
              }
              const lamport = ++clocks[s.device]!;
              run.push(opOfWrite(s, lamport));
            }
            await flush();
            const full = await pullAll(store(), user, 7);
            const expected = materialize(reduceOps(full));

            // Device cursors at random positions (percent of the log); the lowest becomes MIN.
            const cursors = cursorPositions.map(
              (percent) => full[Math.ceil((percent / 100) * full.length) - 1]!.id,
            );
            for (const [i, cursor] of cursors.entries()) {
              await store().ack(user, devices[i]!, cursor, NOW);
            }
            const min = Math.min(...cursors);
            await store().compactUser(user, { now: NOW });
            expect(await store().compactedUpTo(user)).toBe(min);

            // Paged from 0 in small pages, as a resyncing device reads it (R22: resync pages).
            const compacted = await pullAll(store(), user, 3);
            // A new device (since = 0) converges.
            expect(materialize(reduceOps(compacted))).toEqual(expected);
            // The collapse happened: below MIN, one op per (entity, field), deletes as their own group.
            const below = compacted.filter((op) => op.id < min);
            const groups = below.map((op) => `${op.entity_type}/${op.entity_id}/${op.field}`);
            expect(new Set(groups).size).toBe(groups.length);
            // …and no field op below MIN is older than a delete of its entity kept below MIN.
            for (const op of below) {
              const hiddenBy = below.find(
                (other) =>
                  other.op === "delete" &&
                  other.entity_type === op.entity_type &&
                  other.entity_id === op.entity_id &&
                  other.id > op.id,
              );
              expect(hiddenBy).toBeUndefined();
            }

            // Every device converges from its state at its cursor plus what it pulls after it.
            for (const cursor of cursors) {
              const atCursor = reduceOps(full.filter((op) => op.id <= cursor));
              const after =
                cursor === 0
                  ? compacted
                  : (await store().pull(user, { since: cursor, limit: MAX_PULL_LIMIT })).ops;
              expect(after).toEqual(compacted.filter((op) => op.id > cursor));
              expect(materialize(reduceOps(after, atCursor))).toEqual(expected);
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  });
}
