import { isSyncError } from "@syncline/protocol";
import { beforeAll, describe, expect, it } from "vitest";
import {
  openTestStore,
  pullAll,
  remove,
  snapshotUser,
  type TestStore,
  upsert,
  uuid,
} from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

const NOW = new Date("2030-01-01T00:00:00Z");

describe("tenant isolation", () => {
  // R9 (tenant isolation)
  it("one user's push, pull, ack and compaction never read or change another user's rows", async () => {
    const [alice, bob] = [uuid(), uuid()];
    // Same device id, same operation ids, same clocks, same entities: only the user differs.
    const device = uuid();
    const ops = [
      upsert(1, "p1", "title", "a"),
      upsert(2, "p1", "title", "b"),
      remove(3, "p1"),
      upsert(4, "p1", "title", "c"),
    ];
    const bobOps = ops.map((op) => ({
      ...op,
      value: op.op === "upsert" ? `bob-${op.value}` : null,
    }));
    const bobPushed = await db.store.push(bob, device, bobOps as typeof ops);
    await db.store.ack(bob, device, bobPushed[1]!.id, NOW);
    const bobBefore = await snapshotUser(db.pool, bob);

    // Alice's identical operation ids are new for her, not duplicates of Bob's.
    const alicePushed = await db.store.push(alice, device, ops);
    expect(alicePushed.every((op) => !op.duplicate)).toBe(true);
    expect(alicePushed.every((op) => op.id > bobPushed[3]!.id)).toBe(true);
    // Bob's lamport max does not constrain Alice's device, and vice versa.
    await db.store.push(alice, device, [upsert(5, "p2", "x", 1)]);

    // Pulls see only the caller's ops, even from a cursor inside the other's range.
    expect((await pullAll(db.store, alice)).every((op) => op.value !== "bob-a")).toBe(true);
    expect((await db.store.pull(alice, { since: 0 })).ops).toHaveLength(5);
    expect((await db.store.pull(bob, { since: bobPushed[0]!.id })).ops.map((op) => op.id)).toEqual(
      bobPushed.slice(1).map((op) => op.id),
    );
    expect(await db.store.headId(bob)).toBe(bobPushed[3]!.id);

    // Alice's ACKs and compaction leave Bob's cursor and log alone.
    const aliceHead = await db.store.headId(alice);
    await db.store.ack(alice, device, aliceHead, NOW);
    const report = await db.store.compact({ now: NOW, userIds: [alice] });
    expect(report.users.map((done) => done.userId)).toEqual([alice]);
    expect(report.deleted).toBeGreaterThan(0);
    expect(await snapshotUser(db.pool, bob)).toEqual(bobBefore);
    expect(await db.store.cursor(bob, device)).toBe(bobPushed[1]!.id);
    expect(await db.store.compactedUpTo(bob)).toBe(0);

    // Bob's watermark and ACK bound are his own.
    await expect(db.store.ack(bob, device, aliceHead)).rejects.toSatisfy((error) =>
      isSyncError(error, "invalid_request"),
    );
    expect((await db.store.pull(bob, { since: 1 })).ops.length).toBeGreaterThan(0);
  });

  // R9 (tenant isolation)
  it("Bob's compaction, pushed while Alice pushes, leaves Alice's log complete", async () => {
    const [alice, bob, device] = [uuid(), uuid(), uuid()];
    const bobPushed = await db.store.push(
      bob,
      device,
      Array.from({ length: 20 }, (_, i) => upsert(i + 1, "p1", "title", i)),
    );
    await db.store.ack(bob, device, bobPushed[19]!.id, NOW);
    const [alicePushed] = await Promise.all([
      db.store.push(
        alice,
        device,
        Array.from({ length: 20 }, (_, i) => upsert(i + 1, "p1", "title", i)),
      ),
      db.store.compact({ now: NOW, userIds: [bob] }),
    ]);
    expect((await pullAll(db.store, alice)).map((op) => op.id)).toEqual(
      alicePushed.map((op) => op.id),
    );
    expect(await pullAll(db.store, bob)).toHaveLength(2);
  });
});
