import { isSyncError, materialize, type Op, reduceOps } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pullAll } from "./log.js";
import { remove, upsert, uuid } from "./ops.js";
import { rejectionOf } from "./rejection.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** A retry of a compacted op is answered from what compaction remembered (R68, R9, R14, R15). */
export function describeRetryConformance(open: OpenConformanceSubject): void {
  describe("R68 (a retry never becomes a new op): compaction remembers the operation_ids it removes", () => {
    const store = storeUnderTest(open);

    it("R68: replays the lost-response story; the retry of a compacted op is a duplicate, the newer edit stays", async () => {
      const [user, d, e] = [uuid(), uuid(), uuid()];
      // D pushes X; it is stored as the first op, but D never sees the answer.
      const x = upsert(1, "p1", "title", "older edit from D");
      const [storedX] = await store().push(user, d, [x]);
      // Another device writes Y to the same field, and something else.
      const [y, z] = await store().push(user, e, [
        upsert(1, "p1", "title", "newer edit from E"),
        upsert(2, "p2", "title", "other"),
      ]);
      // D's socket delivered Y and Z (no frame carries D's own X); D ACKs Z, and so does E.
      await store().ack(user, d, z!.id);
      await store().ack(user, e, z!.id);
      const compaction = await store().compactUser(user);
      expect(compaction?.deleted).toBe(1);
      expect((await pullAll(store(), user)).map((op) => op.id)).toEqual([y!.id, z!.id]);

      // D retries X with the same operation_id (after a restamp, even with a new lamport_ts).
      const [retry] = await store().push(user, d, [{ ...x, lamport_ts: 7 }]);
      expect(retry).toEqual({ ...storedX, duplicate: true });
      const log = await pullAll(store(), user);
      expect(log.map((op) => op.id)).toEqual([y!.id, z!.id]);
      expect(materialize(reduceOps(log)).playlist?.p1).toEqual({ title: "newer edit from E" });
    });

    it("R68, R15, R9: answers a retried delete as a duplicate, refuses other content as operation_id_reused, and stores new ops beside", async () => {
      const [user, d] = [uuid(), uuid()];
      const gone = remove(1, "p1");
      const [storedGone] = await store().push(user, d, [gone]);
      const [, head] = await store().push(user, d, [
        remove(2, "p1"),
        upsert(3, "p2", "title", "t"),
      ]);
      await store().ack(user, d, head!.id);
      expect((await store().compactUser(user))?.deleted).toBe(1);

      const fresh = upsert(10, "p3", "title", "new");
      const [again, added] = await store().push(user, d, [{ ...gone, lamport_ts: 9 }, fresh]);
      expect(again).toEqual({ ...storedGone, duplicate: true });
      expect(added).toMatchObject({ ...fresh, duplicate: false });
      expect(added!.id).toBeGreaterThan(head!.id);

      const changed: Op = { ...upsert(11, "p1", "title", "x"), operation_id: gone.operation_id };
      const refused = await rejectionOf(store().push(user, d, [changed]));
      expect(isSyncError(refused) && refused.body).toMatchObject({
        type: "operation_id_reused",
        operation_id: gone.operation_id,
      });
      // Another device may use the same operation_id without meeting it (R9).
      const [other] = await store().push(user, uuid(), [{ ...gone, lamport_ts: 1 }]);
      expect(other!.duplicate).toBe(false);
    });

    it("R68, R14: never stores an operation_id twice, whatever is compacted and retried (property)", async () => {
      type Step =
        | { kind: "push"; device: number; field: number }
        | { kind: "retry"; pick: number }
        | { kind: "compact" };
      const step: fc.Arbitrary<Step> = fc.oneof(
        fc.record({
          kind: fc.constant("push" as const),
          device: fc.nat(1),
          field: fc.nat(2),
        }),
        fc.record({ kind: fc.constant("retry" as const), pick: fc.nat() }),
        fc.constant({ kind: "compact" as const }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
          const user = uuid();
          const devices = [uuid(), uuid()];
          const clocks = [0, 0];
          const sent: { device: number; op: Op; id: number }[] = [];
          const retryOf = async ({ device, op, id }: (typeof sent)[number]) => {
            const [again] = await store().push(user, devices[device]!, [
              { ...op, lamport_ts: ++clocks[device]! },
            ]);
            expect(again).toMatchObject({ id, duplicate: true, operation_id: op.operation_id });
          };
          for (const s of steps) {
            if (s.kind === "push") {
              const op = upsert(++clocks[s.device]!, "p", `f${s.field}`, sent.length);
              const [stored] = await store().push(user, devices[s.device]!, [op]);
              sent.push({ device: s.device, op, id: stored!.id });
            } else if (s.kind === "retry" && sent.length > 0) {
              await retryOf(sent[s.pick % sent.length]!);
            } else if (s.kind === "compact") {
              const head = await store().headId(user);
              for (const device of devices) await store().ack(user, device, head);
              await store().compactUser(user);
            }
          }
          // Every op ever sent is still known under its first id, whether in the log or compacted away…
          for (const each of sent) await retryOf(each);
          // …and the log holds each of them at most once, under that id.
          const firstIds = new Map(sent.map(({ op, id }) => [op.operation_id, id]));
          const log = await pullAll(store(), user);
          expect(new Set(log.map((op) => op.operation_id)).size).toBe(log.length);
          for (const op of log) expect(op.id).toBe(firstIds.get(op.operation_id));
        }),
        { numRuns: 25 },
      );
    });
  });
}
