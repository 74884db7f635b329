import { isSyncError, type LamportConflictError, type SyncError } from "@syncline/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import { openTestStore, pullAll, type TestStore, upsert, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

async function conflict(promise: Promise<unknown>): Promise<SyncError<LamportConflictError>> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isSyncError(error, "lamport_conflict"))
    throw new Error(`expected lamport_conflict, got ${error}`);
  return error;
}

describe("push: per-device lamport_ts monotonicity", () => {
  // R16 (`lamport_conflict`), R13: the batch is atomic
  it("fails the whole batch with 409 and the device's stored max; nothing is stored", async () => {
    const [user, device] = [uuid(), uuid()];
    await db.store.push(user, device, [upsert(3, "p1", "a", 1), upsert(7, "p1", "b", 1)]);
    const stale = upsert(7, "p2", "b", 1);
    const error = await conflict(db.store.push(user, device, [stale, upsert(9, "p2", "c", 1)]));
    expect(error.status).toBe(409);
    expect(error.body).toMatchObject({ max_lamport_ts: 7, operation_id: stale.operation_id });
    expect(error.recovery).toBe("restamp");
    expect((await pullAll(db.store, user)).map((op) => op.lamport_ts)).toEqual([3, 7]);
  });

  // R16 (`lamport_conflict`)
  it("rejects an op below the max even when it would fill a gap", async () => {
    const [user, device] = [uuid(), uuid()];
    await db.store.push(user, device, [upsert(10, "p1", "a", 1)]);
    const error = await conflict(db.store.push(user, device, [upsert(5, "p1", "a", 2)]));
    expect(error.body).toMatchObject({ max_lamport_ts: 10 });
  });

  // R13 step 2: ops inserted earlier in this batch included
  it("counts ops earlier in the same batch, and rolls back the ones that passed", async () => {
    const [user, device] = [uuid(), uuid()];
    const late = upsert(4, "p1", "b", 1);
    const error = await conflict(db.store.push(user, device, [upsert(6, "p1", "a", 1), late]));
    expect(error.body).toMatchObject({ max_lamport_ts: 6, operation_id: late.operation_id });
    expect(await pullAll(db.store, user)).toEqual([]);
  });

  // R13 (push order, one transaction), R16
  it("rejects an op whose lamport_ts is already taken, stored or earlier in the batch", async () => {
    const [user, device] = [uuid(), uuid()];
    await db.store.push(user, device, [upsert(5, "p1", "a", 1)]);
    const taken = upsert(5, "p2", "a", 1);
    // The same operation_id follows with a free lamport_ts: that later op does not make the first a duplicate.
    const error = await conflict(db.store.push(user, device, [taken, { ...taken, lamport_ts: 9 }]));
    expect(error.body).toMatchObject({ max_lamport_ts: 5, operation_id: taken.operation_id });

    const twin = upsert(6, "p3", "a", 1);
    const clash = await conflict(db.store.push(user, device, [upsert(6, "p2", "b", 1), twin]));
    expect(clash.body).toMatchObject({ max_lamport_ts: 6, operation_id: twin.operation_id });
    expect(await pullAll(db.store, user)).toHaveLength(1);
  });

  // R44 (retry after 409), R47 (restamp procedure)
  it("accepts the restamped retry with the same operation_ids", async () => {
    const [user, device] = [uuid(), uuid()];
    await db.store.push(user, device, [upsert(10, "p1", "a", 1)]);
    const pending = [upsert(4, "p1", "a", 2), upsert(5, "p1", "b", 3)];
    const error = await conflict(db.store.push(user, device, pending));
    const max = error.body.max_lamport_ts;
    const restamped = pending.map((op, i) => ({ ...op, lamport_ts: max + 1 + i }));
    const pushed = await db.store.push(user, device, restamped);
    expect(pushed.map((op) => [op.operation_id, op.lamport_ts, op.duplicate])).toEqual([
      [pending[0]!.operation_id, 11, false],
      [pending[1]!.operation_id, 12, false],
    ]);
  });

  // R40 (one persisted clock per device)
  it("keeps one clock per device: another device may reuse the same lamport_ts", async () => {
    const [user, d1, d2] = [uuid(), uuid(), uuid()];
    await db.store.push(user, d1, [upsert(5, "p1", "a", 1)]);
    const [other] = await db.store.push(user, d2, [upsert(5, "p1", "a", 2)]);
    expect(other!.duplicate).toBe(false);
  });

  // R17: never a unique-constraint violation
  it("never surfaces a raw unique violation when concurrent batches share a lamport_ts", async () => {
    const [user, device] = [uuid(), uuid()];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => db.store.push(user, device, [upsert(1, "p1", "a", i)])),
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
    expect(await pullAll(db.store, user)).toHaveLength(1);
  });
});
