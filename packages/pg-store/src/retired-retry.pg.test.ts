import { isSyncError, materialize, type Op, reduceOps } from "@syncline/protocol";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { openTestStore, pullAll, remove, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

describe("R68 (a retry never becomes a new op): compaction remembers the operation_ids it removes", () => {
  it("replays the lost-response story: the retry of a compacted op is a duplicate, the newer edit stays", async () => {
    const [user, d, e] = [uuid(), uuid(), uuid()];
    // D pushes X; it is stored as the first op, but D never sees the answer.
    const x = upsert(1, "p1", "title", "older edit from D");
    const [storedX] = await db.store.push(user, d, [x]);
    // Another device writes Y to the same field, and something else.
    const [y, z] = await db.store.push(user, e, [
      upsert(1, "p1", "title", "newer edit from E"),
      upsert(2, "p2", "title", "other"),
    ]);
    // D's socket delivered Y and Z (no frame carries D's own X); D ACKs Z, and so does E.
    await db.store.ack(user, d, z!.id);
    await db.store.ack(user, e, z!.id);
    const compaction = await db.store.compactUser(user);
    expect(compaction?.deleted).toBe(1);
    expect((await pullAll(db.store, user)).map((op) => op.id)).toEqual([y!.id, z!.id]);

    // D retries X with the same operation_id (after a restamp, even with a new lamport_ts).
    const [retry] = await db.store.push(user, d, [{ ...x, lamport_ts: 7 }]);
    expect(retry).toEqual({ ...storedX, duplicate: true });
    const log = await pullAll(db.store, user);
    expect(log.map((op) => op.id)).toEqual([y!.id, z!.id]);
    expect(materialize(reduceOps(log)).playlist?.p1).toEqual({ title: "newer edit from E" });
  });

  it("answers a retried delete as a duplicate, refuses other content as operation_id_reused, and stores new ops beside", async () => {
    const [user, d] = [uuid(), uuid()];
    const gone = remove(1, "p1");
    const [storedGone] = await db.store.push(user, d, [gone]);
    const [, head] = await db.store.push(user, d, [remove(2, "p1"), upsert(3, "p2", "title", "t")]);
    await db.store.ack(user, d, head!.id);
    expect((await db.store.compactUser(user))?.deleted).toBe(1);

    const fresh = upsert(10, "p3", "title", "new");
    const [again, added] = await db.store.push(user, d, [{ ...gone, lamport_ts: 9 }, fresh]);
    expect(again).toEqual({ ...storedGone, duplicate: true });
    expect(added).toMatchObject({ ...fresh, duplicate: false });
    expect(added!.id).toBeGreaterThan(head!.id);

    const changed: Op = { ...upsert(11, "p1", "title", "x"), operation_id: gone.operation_id };
    const refused = await db.store.push(user, d, [changed]).catch((error: unknown) => error);
    expect(isSyncError(refused) && refused.body).toMatchObject({
      type: "operation_id_reused",
      operation_id: gone.operation_id,
    });
    // Another device may use the same operation_id without meeting it (R9).
    const [other] = await db.store.push(user, uuid(), [{ ...gone, lamport_ts: 1 }]);
    expect(other!.duplicate).toBe(false);
  });

  it("never stores an operation_id twice, whatever is compacted and retried (property)", async () => {
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
        for (const s of steps) {
          if (s.kind === "push") {
            const op = upsert(++clocks[s.device]!, "p", `f${s.field}`, sent.length);
            const [stored] = await db.store.push(user, devices[s.device]!, [op]);
            sent.push({ device: s.device, op, id: stored!.id });
          } else if (s.kind === "retry" && sent.length > 0) {
            const { device, op, id } = sent[s.pick % sent.length]!;
            const [again] = await db.store.push(user, devices[device]!, [
              { ...op, lamport_ts: ++clocks[device]! },
            ]);
            expect(again).toMatchObject({ id, duplicate: true, operation_id: op.operation_id });
          } else if (s.kind === "compact") {
            const head = await db.store.headId(user);
            for (const device of devices) await db.store.ack(user, device, head);
            await db.store.compactUser(user);
          }
        }
        const { rows } = await db.pool.query(
          `SELECT operation_id FROM sync_op WHERE user_id = $1
           UNION ALL SELECT operation_id FROM sync_op_retired WHERE user_id = $1`,
          [user],
        );
        expect(rows).toHaveLength(sent.length);
        expect(new Set(rows.map((row) => row.operation_id)).size).toBe(sent.length);
      }),
      { numRuns: 25 },
    );
  });
});
