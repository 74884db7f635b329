import { isSyncError, type PushedOp, SyncError } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { pullAll } from "./log.js";
import { remove, upsert, uuid } from "./ops.js";
import { rejectionOf } from "./rejection.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

const withoutDuplicateFlag = ({ duplicate: _, ...op }: PushedOp) => op;

/** Push idempotency by `(user, device, operation_id)` and `operation_id_reused` (R3, R4, R9, R13–R15, R17). */
export function describePushConformance(open: OpenConformanceSubject): void {
  describe("push", () => {
    const store = storeUnderTest(open);

    it("R32 (fan-out): pushWithHead answers what push does and the user's head before the push's new ops", async () => {
      const [user, device, other] = [uuid(), uuid(), uuid()];
      const [a, b] = [upsert(1, "p1", "title", "A"), upsert(2, "p1", "rating", 5)];
      const first = await store().pushWithHead(user, device, [a]);
      expect(first.headBefore).toBe(0);
      // Another user's ops never count.
      await store().push(other, device, [upsert(1, "p1", "title", "B")]);
      const second = await store().pushWithHead(user, device, [a, b]);
      expect(second.headBefore).toBe(first.ops[0]!.id);
      expect(second.ops.map((op) => op.duplicate)).toEqual([true, false]);
      const again = await store().pushWithHead(user, device, [b]);
      expect(again.headBefore).toBe(second.ops[1]!.id);
      expect(again.ops).toEqual([{ ...second.ops[1]!, duplicate: true }]);
      expect(await pullAll(store(), user)).toEqual(
        [first.ops[0]!, second.ops[1]!].map(withoutDuplicateFlag),
      );
    });

    describe("idempotency by (user, device, operation_id)", () => {
      it("R13 (push order, one transaction), R3 (StoredOp): stores a batch in request order and returns the stored rows", async () => {
        const [user, device] = [uuid(), uuid()];
        const ops = [
          upsert(1, "p1", "title", "Road trip"),
          upsert(2, "p1", "tags", { b: [1, 2], a: null }),
          upsert(3, "p1", "cover", null),
          remove(4, "p2"),
        ];
        const pushed = await store().push(user, device, ops);
        expect(pushed.map((op) => op.duplicate)).toEqual([false, false, false, false]);
        const ids = pushed.map((op) => op.id);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).toBe(4);
        pushed.forEach((op, index) => {
          expect(op).toMatchObject({ ...ops[index], device_id: device });
          expect(new Date(op.wall_clock).toISOString()).toBe(op.wall_clock);
        });
        expect(pushed[3]).toMatchObject({ op: "delete", field: null, value: null });
        expect(await pullAll(store(), user)).toEqual(pushed.map(withoutDuplicateFlag));
      });

      it("R14 (duplicate): answers a batch pushed again with the first rows, marked duplicate, and stores nothing new", async () => {
        const [user, device] = [uuid(), uuid()];
        const ops = [upsert(1, "p1", "title", "A"), remove(2, "p1")];
        const first = await store().push(user, device, ops);
        const again = await store().push(user, device, ops);
        expect(again).toEqual(first.map((op) => ({ ...op, duplicate: true })));
        expect(await pullAll(store(), user)).toHaveLength(2);
      });

      it("R14 (duplicate), R15, R4: a retry with a new lamport_ts and an equal JSON value is a duplicate and keeps the stored lamport_ts", async () => {
        const [user, device] = [uuid(), uuid()];
        const op = upsert(5, "p1", "title", { b: 2, a: 1 });
        const [first] = await store().push(user, device, [op]);
        const [retry] = await store().push(user, device, [
          { ...op, lamport_ts: 9, value: { a: 1.0, b: 2 } },
        ]);
        expect(retry).toEqual({ ...first, duplicate: true });
        expect(retry!.lamport_ts).toBe(5);
      });

      it("R13 (push order, one transaction): mixes duplicates and new ops in one batch; new ones get new ids, in order", async () => {
        const [user, device] = [uuid(), uuid()];
        const a = upsert(1, "p1", "title", "A");
        const [storedA] = await store().push(user, device, [a]);
        const b = upsert(2, "p1", "title", "B");
        const pushed = await store().push(user, device, [a, b]);
        expect(pushed[0]).toEqual({ ...storedA, duplicate: true });
        expect(pushed[1]).toMatchObject({ operation_id: b.operation_id, duplicate: false });
        expect(pushed[1]!.id).toBeGreaterThan(storedA!.id);
      });

      it("R14 (duplicate) inside one batch: stores a repeated operation_id once; the repeat returns that row", async () => {
        const [user, device] = [uuid(), uuid()];
        const a = upsert(1, "p1", "title", "A");
        const pushed = await store().push(user, device, [
          a,
          upsert(2, "p1", "x", 1),
          { ...a, lamport_ts: 3 },
        ]);
        expect(pushed[2]).toEqual({ ...pushed[0], duplicate: true });
        expect(pushed[0]!.duplicate).toBe(false);
        expect((await pullAll(store(), user)).map((op) => op.operation_id)).toEqual([
          a.operation_id,
          pushed[1]!.operation_id,
        ]);
      });

      it("R14 (duplicate) inside one batch: an op repeated verbatim (same lamport_ts) is a duplicate", async () => {
        const [user, device] = [uuid(), uuid()];
        const a = upsert(1, "p1", "title", "A");
        const pushed = await store().push(user, device, [a, a]);
        expect(pushed.map((op) => op.duplicate)).toEqual([false, true]);
        expect(pushed[1]!.id).toBe(pushed[0]!.id);
      });

      it("R9 (tenant isolation): two devices (and two users) use the same operation_id independently", async () => {
        const [user, other, d1, d2] = [uuid(), uuid(), uuid(), uuid()];
        const op = upsert(1, "p1", "title", "A");
        const [first] = await store().push(user, d1, [op]);
        const [second] = await store().push(user, d2, [op]);
        const [third] = await store().push(other, d1, [op]);
        expect([first!.duplicate, second!.duplicate, third!.duplicate]).toEqual([
          false,
          false,
          false,
        ]);
        expect(new Set([first!.id, second!.id, third!.id]).size).toBe(3);
      });

      it("R17 (concurrent identical batches): gives concurrent identical batches the same ids, all as successes", async () => {
        const [user, device] = [uuid(), uuid()];
        const ops = Array.from({ length: 50 }, (_, i) => upsert(i + 1, `p${i % 7}`, "title", i));
        const results = await Promise.all(
          Array.from({ length: 6 }, () => store().push(user, device, ops)),
        );
        const ids = results[0]!.map((op) => op.id);
        for (const result of results) expect(result.map((op) => op.id)).toEqual(ids);
        const fresh = results.filter((result) => result.every((op) => !op.duplicate));
        const repeats = results.filter((result) => result.every((op) => op.duplicate));
        expect([fresh.length, repeats.length]).toEqual([1, 5]);
        expect(await pullAll(store(), user)).toHaveLength(50);
      });
    });

    describe("operation_id_reused", () => {
      const changes = {
        entity_type: { entity_type: "album" },
        entity_id: { entity_id: "p9" },
        field: { field: "name" },
        value: { value: "B" },
        "value type": { value: ["A"] },
      };
      for (const [what, change] of Object.entries(changes)) {
        it(`R15 (operation_id_reused): rejects a stored operation_id that comes back with another ${what}`, async () => {
          const [user, device] = [uuid(), uuid()];
          const op = upsert(1, "p1", "title", "A");
          await store().push(user, device, [op]);
          const next = upsert(2, "p1", "title", "new");
          const error = await rejectionOf(
            store().push(user, device, [next, { ...op, ...change, lamport_ts: 3 }]),
          );
          expect(isSyncError(error, "operation_id_reused")).toBe(true);
          expect((error as SyncError).body).toMatchObject({ operation_id: op.operation_id });
          expect((error as SyncError).status).toBe(409);
          expect((await pullAll(store(), user)).map((stored) => stored.operation_id)).toEqual([
            op.operation_id,
          ]);
        });
      }

      it("R15 (operation_id_reused): rejects an upsert id reused for a delete, and a repeat inside one batch that differs", async () => {
        const [user, device] = [uuid(), uuid()];
        const op = upsert(1, "p1", "title", "A");
        await store().push(user, device, [op]);
        await expect(
          store().push(user, device, [remove(2, "p1", "playlist", op.operation_id)]),
        ).rejects.toSatisfy((error) => isSyncError(error, "operation_id_reused"));

        const fresh = upsert(3, "p2", "title", "A");
        await expect(
          store().push(user, device, [fresh, { ...fresh, lamport_ts: 4, value: "B" }]),
        ).rejects.toSatisfy((error) => isSyncError(error, "operation_id_reused"));
        expect(await pullAll(store(), user)).toHaveLength(1);
      });

      it("R13 (push order, one transaction): reports the first broken rule in batch order", async () => {
        const [user, device] = [uuid(), uuid()];
        const op = upsert(5, "p1", "title", "A");
        await store().push(user, device, [op]);
        const late = upsert(4, "p1", "x", 1);
        const error = await rejectionOf(store().push(user, device, [late, { ...op, value: "B" }]));
        expect(error).toBeInstanceOf(SyncError);
        expect((error as SyncError).body).toMatchObject({
          type: "lamport_conflict",
          operation_id: late.operation_id,
        });
      });
    });
  });
}
