import { materialize, type Op, reduceOps, type StoredOp } from "@syncline/protocol";
import { protocolExampleLog } from "@syncline/server-core/conformance";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompactionSlice } from "./compact.js";
import { openTestStore, pullAll, remove, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

const NOW = new Date("2030-01-01T00:00:00Z");

/** The ids of the user's ops that compaction remembers as removed, ascending. */
async function retiredIds(userId: string): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM sync_op_retired WHERE user_id = $1 ORDER BY id",
    [userId],
  );
  return rows.map((row) => Number(row.id));
}

/**
 * Checks, between two slices, that the partially compacted log is a
 * consistent one: it reduces to the state of the original log, every removed
 * op is remembered and below the watermark, and the watermark is at most MIN.
 * @returns the watermark read
 */
async function expectConsistentBetweenSlices(
  userId: string,
  original: readonly StoredOp[],
  min: number,
): Promise<number> {
  const log = await pullAll(db.store, userId);
  const watermark = await db.store.compactedUpTo(userId);
  const kept = new Set(log.map((op) => op.id));
  const removed = original.filter((op) => !kept.has(op.id)).map((op) => op.id);
  expect(materialize(reduceOps(log))).toEqual(materialize(reduceOps(original)));
  expect(await retiredIds(userId)).toEqual(removed);
  for (const id of removed) expect(id).toBeLessThan(watermark);
  expect(watermark).toBeLessThanOrEqual(min);
  return watermark;
}

/** Operation ids of the user's log and of the ops compaction remembers as removed. */
async function operationIds(userId: string): Promise<{ log: string[]; retired: string[] }> {
  const log = await pullAll(db.store, userId);
  const { rows } = await db.pool.query<{ operation_id: string }>(
    "SELECT operation_id FROM sync_op_retired WHERE user_id = $1 ORDER BY id",
    [userId],
  );
  return {
    log: log.map((op) => op.operation_id),
    retired: rows.map((row) => row.operation_id),
  };
}

// The compaction rules themselves are in @syncline/server-core/conformance;
// this file checks what only the tables show.
describe("compaction: the watermark row", () => {
  it("R60 (atomic compaction): records compacted_up_to = MIN with updated_at = the run's now", async () => {
    const [user, device, reader] = [uuid(), uuid(), uuid()];
    const pushed = await db.store.push(user, device, protocolExampleLog());
    const titleD = pushed.at(-1)!.id;
    await db.store.ack(user, reader, titleD - 1, NOW);
    await db.store.compactUser(user, { now: NOW });
    const { rows } = await db.pool.query(
      "SELECT compacted_up_to, updated_at FROM sync_compaction_watermark WHERE user_id = $1",
      [user],
    );
    expect(rows).toEqual([{ compacted_up_to: String(titleD - 1), updated_at: NOW }]);
  });
});

describe("compaction in slices (R60)", () => {
  it("R60: one op per slice collapses the protocol's example log as one run does; each slice leaves a consistent log with the watermark above what it removed", async () => {
    const [user, device, reader] = [uuid(), uuid(), uuid()];
    const pushed = await db.store.push(user, device, protocolExampleLog());
    const [titleA, titleB, , deleted, titleC, titleD] = pushed.map((op) => op.id);
    const original = await pullAll(db.store, user);
    await db.store.ack(user, reader, titleC!, NOW);
    const slices: CompactionSlice[] = [];
    const watermarks: number[] = [];

    const done = await db.store.compactUser(user, {
      now: NOW,
      sliceOps: 1,
      onSlice: async (slice) => {
        slices.push(slice);
        watermarks.push(await expectConsistentBetweenSlices(user, original, titleC!));
      },
    });

    expect(done).toEqual({
      userId: user,
      previousCompactedUpTo: 0,
      compactedUpTo: titleC,
      deleted: 3,
    });
    // A, B and the cover x go one at a time, in id order; the last slice sets MIN.
    expect(watermarks).toEqual([titleA! + 1, titleB! + 1, titleC]);
    expect(slices.map((slice) => slice.compactedUpTo)).toEqual(watermarks);
    expect(slices.map((slice) => [slice.deleted, slice.deletedSoFar, slice.doomed])).toEqual([
      [1, 1, 3],
      [1, 2, 3],
      [1, 3, 3],
    ]);
    const log = await pullAll(db.store, user);
    expect(log.map((op) => op.id)).toEqual([deleted, titleC, titleD]);
    expect(log.map((op) => op.op === "delete" || op.value)).toEqual([true, "C", "D"]);
  });

  it("R60: with nothing to remove, one transaction raises the watermark to MIN", async () => {
    const [user, device] = [uuid(), uuid()];
    const pushed = await db.store.push(user, device, [
      upsert(1, "p1", "title", "a"),
      upsert(2, "p2", "title", "b"),
    ]);
    await db.store.ack(user, device, pushed[1]!.id, NOW);
    const slices: CompactionSlice[] = [];
    const done = await db.store.compactUser(user, {
      now: NOW,
      sliceOps: 3,
      onSlice: (slice) => {
        slices.push(slice);
      },
    });
    expect(done?.deleted).toBe(0);
    expect(slices).toEqual([
      { userId: user, deleted: 0, compactedUpTo: pushed[1]!.id, deletedSoFar: 0, doomed: 0 },
    ]);
    expect(await db.store.compactedUpTo(user)).toBe(pushed[1]!.id);
  });

  it("R60: rejects a slice size that is not a positive integer", async () => {
    await expect(db.store.compactUser(uuid(), { sliceOps: 0 })).rejects.toThrow(RangeError);
    await expect(db.store.compactUser(uuid(), { sliceOps: 2.5 })).rejects.toThrow(RangeError);
  });

  it("R60 (property): any log, any slice size: the same log, the same remembered ops and the same watermark as a run in one slice, and a consistent log after every slice", async () => {
    const step = fc.record({
      entityId: fc.constantFrom("1", "2", "3"),
      action: fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({ field: fc.constantFrom("title", "cover"), value: fc.integer() }),
        },
        { weight: 1, arbitrary: fc.constant("delete" as const) },
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 5 }),
        async (steps, cursorPercent, sliceOps) => {
          const ops: Op[] = steps.map((s, i) =>
            s.action === "delete"
              ? remove(i + 1, s.entityId)
              : upsert(i + 1, s.entityId, s.action.field, s.action.value),
          );
          // Two users with the same log (the same operation ids).
          const [sliced, whole, device] = [uuid(), uuid(), uuid()];
          const pushed = await db.store.push(sliced, device, ops);
          const pushedWhole = await db.store.push(whole, device, ops);
          const at = Math.ceil((cursorPercent / 100) * ops.length) - 1;
          await db.store.ack(sliced, device, pushed[at]!.id, NOW);
          await db.store.ack(whole, device, pushedWhole[at]!.id, NOW);
          const original = await pullAll(db.store, sliced);
          const min = pushed[at]!.id;
          let previousWatermark = 0;

          const done = await db.store.compactUser(sliced, {
            now: NOW,
            sliceOps,
            onSlice: async (slice) => {
              expect(slice.deleted).toBeLessThanOrEqual(sliceOps);
              const watermark = await expectConsistentBetweenSlices(sliced, original, min);
              expect(watermark).toBe(slice.compactedUpTo);
              expect(watermark).toBeGreaterThanOrEqual(previousWatermark);
              previousWatermark = watermark;
            },
          });
          const doneWhole = await db.store.compactUser(whole, {
            now: NOW,
            sliceOps: ops.length,
          });

          expect(done?.deleted).toBe(doneWhole?.deleted);
          expect(await operationIds(sliced)).toEqual(await operationIds(whole));
          expect(await db.store.compactedUpTo(sliced)).toBe(min);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("R60: a push of the user completes while a compaction of a 50 000-op log is still removing it, slice by slice", async () => {
    const [user, device] = [uuid(), uuid()];
    const count = 50_000;
    // 50 000 upserts of 10 fields, written directly. MIN is the head: below it,
    // all but the newest of each field go.
    await db.pool.query(
      `INSERT INTO sync_op (user_id, device_id, operation_id, entity_type, entity_id, op, field, value, lamport_ts)
       SELECT $1, $2, gen_random_uuid(), 'playlist', 'p' || (i % 10), 'upsert', 'title', to_jsonb(i), i
       FROM generate_series(1, $3::int) i`,
      [user, device, count],
    );
    const min = await db.store.headId(user);
    await db.store.ack(user, device, min, NOW);
    let compactionDone = false;
    let push: Promise<boolean> | undefined;

    const done = await db.store.compactUser(user, {
      now: NOW,
      sliceOps: 1000,
      onSlice: () => {
        push ??= db.store
          .push(user, device, [upsert(count + 1, "p1", "title", "new")])
          .then(() => compactionDone);
      },
    });
    compactionDone = true;

    expect(done?.deleted).toBe(count - 11);
    // The push waited for one slice at most, not for the 49 others.
    expect(await push).toBe(false);
    const log = await pullAll(db.store, user);
    expect(log).toHaveLength(12);
    expect(log.at(-1)).toMatchObject({ lamport_ts: count + 1, value: "new" });
    expect(await db.store.compactedUpTo(user)).toBe(min);
  });
});
