import { isSyncError, type SyncError } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { pullAll } from "./log.js";
import { upsert, uuid } from "./ops.js";
import { syncErrorOf } from "./rejection.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** Per-device `lamport_ts` monotonicity and its recovery (R13, R16, R17, R40, R44, R47). */
export function describeLamportConformance(open: OpenConformanceSubject): void {
  describe("push: per-device lamport_ts monotonicity", () => {
    const store = storeUnderTest(open);

    it("R16 (lamport_conflict), R13: fails the whole batch with 409 and the device's stored max; nothing is stored", async () => {
      const [user, device] = [uuid(), uuid()];
      await store().push(user, device, [upsert(3, "p1", "a", 1), upsert(7, "p1", "b", 1)]);
      const stale = upsert(7, "p2", "b", 1);
      const error = await syncErrorOf(
        store().push(user, device, [stale, upsert(9, "p2", "c", 1)]),
        "lamport_conflict",
      );
      expect(error.status).toBe(409);
      expect(error.body).toMatchObject({ max_lamport_ts: 7, operation_id: stale.operation_id });
      expect(error.recovery).toBe("restamp");
      expect((await pullAll(store(), user)).map((op) => op.lamport_ts)).toEqual([3, 7]);
    });

    it("R16 (lamport_conflict): rejects an op below the max even when it would fill a gap", async () => {
      const [user, device] = [uuid(), uuid()];
      await store().push(user, device, [upsert(10, "p1", "a", 1)]);
      const error = await syncErrorOf(
        store().push(user, device, [upsert(5, "p1", "a", 2)]),
        "lamport_conflict",
      );
      expect(error.body).toMatchObject({ max_lamport_ts: 10 });
    });

    it("R13 step 2: counts ops earlier in the same batch, and rolls back the ones that passed", async () => {
      const [user, device] = [uuid(), uuid()];
      const late = upsert(4, "p1", "b", 1);
      const error = await syncErrorOf(
        store().push(user, device, [upsert(6, "p1", "a", 1), late]),
        "lamport_conflict",
      );
      expect(error.body).toMatchObject({ max_lamport_ts: 6, operation_id: late.operation_id });
      expect(await pullAll(store(), user)).toEqual([]);
    });

    it("R13 (push order, one transaction), R16: rejects an op whose lamport_ts is already taken, stored or earlier in the batch", async () => {
      const [user, device] = [uuid(), uuid()];
      await store().push(user, device, [upsert(5, "p1", "a", 1)]);
      const taken = upsert(5, "p2", "a", 1);
      // The same operation_id follows with a free lamport_ts: that later op does not make the first a duplicate.
      const error = await syncErrorOf(
        store().push(user, device, [taken, { ...taken, lamport_ts: 9 }]),
        "lamport_conflict",
      );
      expect(error.body).toMatchObject({ max_lamport_ts: 5, operation_id: taken.operation_id });

      const twin = upsert(6, "p3", "a", 1);
      const clash = await syncErrorOf(
        store().push(user, device, [upsert(6, "p2", "b", 1), twin]),
        "lamport_conflict",
      );
      expect(clash.body).toMatchObject({ max_lamport_ts: 6, operation_id: twin.operation_id });
      expect(await pullAll(store(), user)).toHaveLength(1);
    });

    it("R44 (retry after 409), R47 (restamp procedure): accepts the restamped retry with the same operation_ids", async () => {
      const [user, device] = [uuid(), uuid()];
      await store().push(user, device, [upsert(10, "p1", "a", 1)]);
      const pending = [upsert(4, "p1", "a", 2), upsert(5, "p1", "b", 3)];
      const error = await syncErrorOf(store().push(user, device, pending), "lamport_conflict");
      const max = error.body.max_lamport_ts;
      const restamped = pending.map((op, i) => ({ ...op, lamport_ts: max + 1 + i }));
      const pushed = await store().push(user, device, restamped);
      expect(pushed.map((op) => [op.operation_id, op.lamport_ts, op.duplicate])).toEqual([
        [pending[0]!.operation_id, 11, false],
        [pending[1]!.operation_id, 12, false],
      ]);
    });

    it("R40 (one persisted clock per device): another device may reuse the same lamport_ts", async () => {
      const [user, d1, d2] = [uuid(), uuid(), uuid()];
      await store().push(user, d1, [upsert(5, "p1", "a", 1)]);
      const [other] = await store().push(user, d2, [upsert(5, "p1", "a", 2)]);
      expect(other!.duplicate).toBe(false);
    });

    it("R17 (concurrent identical batches): concurrent batches sharing a lamport_ts end in one success and lamport_conflicts, never another error", async () => {
      const [user, device] = [uuid(), uuid()];
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => store().push(user, device, [upsert(1, "p1", "a", i)])),
      );
      const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const rejected = outcomes.flatMap((outcome) =>
        outcome.status === "rejected" ? [outcome.reason] : [],
      );
      expect(fulfilled).toHaveLength(1);
      for (const reason of rejected) {
        expect(isSyncError(reason, "lamport_conflict")).toBe(true);
        expect((reason as SyncError).body).toMatchObject({ max_lamport_ts: 1 });
      }
      expect(await pullAll(store(), user)).toHaveLength(1);
    });
  });
}
