import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { materialize, reduceOps } from "./reducer.js";
import type { StoredOp } from "./stored-op.js";

const DEVICE = "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b";

function stored(
  id: number,
  entity_id: string,
  change: { field: string; value: StoredOp["value"] } | "delete",
  lamport_ts = id,
): StoredOp {
  const base = {
    id,
    device_id: DEVICE,
    wall_clock: "2026-11-25T10:00:00.000Z",
    operation_id: `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
    lamport_ts,
    entity_type: "playlist",
    entity_id,
  };
  return change === "delete"
    ? { ...base, op: "delete", field: null, value: null }
    : { ...base, op: "upsert", field: change.field, value: change.value as never };
}

/** Random logs: distinct server ids, few entities and fields so ops collide. */
const logArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 0, maxLength: 60 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc
          .record({
            type: fc.constantFrom("playlist", "track"),
            entity: fc.constantFrom("a", "b", "c"),
            field: fc.constantFrom("title", "rating", "color"),
            value: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
            isDelete: fc.boolean(),
            lamport: fc.integer({ min: 1, max: 1000 }),
          })
          .map((r) => {
            const op = stored(
              id,
              r.entity,
              r.isDelete ? "delete" : { field: r.field, value: r.value },
              r.lamport,
            );
            return { ...op, entity_type: r.type } as StoredOp;
          }),
      ),
    ),
  );

describe("reduceOps (last writer wins by server id)", () => {
  it("R48, R45: lets the highest id win per field, whatever lamport_ts says", () => {
    const state = reduceOps([
      stored(2, "p1", { field: "title", value: "new" }, 1),
      stored(1, "p1", { field: "title", value: "old" }, 999),
    ]);
    expect(materialize(state)).toEqual({ playlist: { p1: { title: "new" } } });
  });

  it("R49: hides every field written before a delete", () => {
    const state = reduceOps([
      stored(1, "p1", { field: "title", value: "t" }),
      stored(2, "p1", { field: "color", value: "red" }),
      stored(3, "p1", "delete"),
    ]);
    expect(materialize(state)).toEqual({});
  });

  it("R50, R52: brings an entity back with only the fields written after its delete", () => {
    const state = reduceOps([
      stored(1, "p1", { field: "title", value: "t" }),
      stored(2, "p1", { field: "color", value: "red" }),
      stored(3, "p1", "delete"),
      stored(4, "p1", { field: "color", value: "blue" }),
    ]);
    expect(materialize(state)).toEqual({ playlist: { p1: { color: "blue" } } });
  });

  it("R49, R51: keeps an older field hidden when it arrives after the delete", () => {
    const state = reduceOps([
      stored(3, "p1", "delete"),
      stored(1, "p1", { field: "title", value: "t" }),
    ]);
    expect(materialize(state)).toEqual({});
  });

  it("does not modify the base state it starts from", () => {
    const base = reduceOps([stored(1, "p1", { field: "title", value: "t" })]);
    reduceOps([stored(2, "p1", "delete")], base);
    expect(materialize(base)).toEqual({ playlist: { p1: { title: "t" } } });
  });

  it("R51 property: the result does not depend on the order ops are folded in", () => {
    fc.assert(
      fc.property(
        logArb.chain((log) =>
          fc.tuple(fc.constant(log), fc.shuffledSubarray(log, { minLength: log.length })),
        ),
        ([log, shuffled]) => {
          expect(materialize(reduceOps(shuffled))).toEqual(materialize(reduceOps(log)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("R51 property: folding an op twice changes nothing", () => {
    fc.assert(
      fc.property(
        logArb.chain((log) =>
          fc.tuple(
            fc.constant(log),
            fc.subarray(log),
            fc.shuffledSubarray(log, { minLength: log.length }),
          ),
        ),
        ([log, again, order]) => {
          const once = materialize(reduceOps(log));
          expect(materialize(reduceOps([...order, ...again]))).toEqual(once);
          expect(materialize(reduceOps(again, reduceOps(log)))).toEqual(once);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: folding in two steps equals folding all at once", () => {
    fc.assert(
      fc.property(
        logArb.chain((log) => fc.tuple(fc.constant(log), fc.integer({ min: 0, max: log.length }))),
        ([log, cut]) => {
          const stepwise = reduceOps(log.slice(cut), reduceOps(log.slice(0, cut)));
          expect(materialize(stepwise)).toEqual(materialize(reduceOps(log)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
