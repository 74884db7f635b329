import { DEFAULT_PULL_LIMIT, isSyncError } from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { pullAll, viewOfUser } from "./log.js";
import { remove, upsert, uuid } from "./ops.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

const NOW = new Date("2030-01-01T00:00:00Z");

/** Nothing one user does reads or changes another's ops, cursors or watermark (R9). */
export function describeIsolationConformance(open: OpenConformanceSubject): void {
  describe("tenant isolation", () => {
    const store = storeUnderTest(open);

    it("R9 (tenant isolation): one user's push, pull, ack and compaction never read or change another user's log, cursors or watermark", async () => {
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
      const bobPushed = await store().push(bob, device, bobOps as typeof ops);
      await store().ack(bob, device, bobPushed[1]!.id, NOW);
      const bobBefore = await viewOfUser(store(), bob, [device]);

      // Alice's identical operation ids are new for her, not duplicates of Bob's.
      const alicePushed = await store().push(alice, device, ops);
      expect(alicePushed.every((op) => !op.duplicate)).toBe(true);
      expect(alicePushed.every((op) => op.id > bobPushed[3]!.id)).toBe(true);
      // Bob's lamport max does not constrain Alice's device, and vice versa.
      await store().push(alice, device, [upsert(5, "p2", "x", 1)]);

      // Pulls see only the caller's ops, even from a cursor inside the other's range.
      expect((await pullAll(store(), alice)).every((op) => op.value !== "bob-a")).toBe(true);
      expect((await store().pull(alice, { since: 0, limit: DEFAULT_PULL_LIMIT })).ops).toHaveLength(
        5,
      );
      expect(
        (await store().pull(bob, { since: bobPushed[0]!.id, limit: DEFAULT_PULL_LIMIT })).ops.map(
          (op) => op.id,
        ),
      ).toEqual(bobPushed.slice(1).map((op) => op.id));
      expect(await store().headId(bob)).toBe(bobPushed[3]!.id);

      // Alice's ACKs and compaction leave Bob's cursor and log alone.
      const aliceHead = await store().headId(alice);
      await store().ack(alice, device, aliceHead, NOW);
      const report = await store().compact({ now: NOW, userIds: [alice] });
      expect(report.users.map((done) => done.userId)).toEqual([alice]);
      expect(report.deleted).toBeGreaterThan(0);
      expect(await viewOfUser(store(), bob, [device])).toEqual(bobBefore);
      expect(await store().cursor(bob, device)).toBe(bobPushed[1]!.id);
      expect(await store().compactedUpTo(bob)).toBe(0);

      // Bob's watermark and ACK bound are his own.
      await expect(store().ack(bob, device, aliceHead)).rejects.toSatisfy((error) =>
        isSyncError(error, "invalid_request"),
      );
      expect(
        (await store().pull(bob, { since: 1, limit: DEFAULT_PULL_LIMIT })).ops.length,
      ).toBeGreaterThan(0);
    });

    it("R9 (tenant isolation): Bob's compaction, run while Alice pushes, leaves Alice's log complete", async () => {
      const [alice, bob, device] = [uuid(), uuid(), uuid()];
      const bobPushed = await store().push(
        bob,
        device,
        Array.from({ length: 20 }, (_, i) => upsert(i + 1, "p1", "title", i)),
      );
      await store().ack(bob, device, bobPushed[19]!.id, NOW);
      const [alicePushed] = await Promise.all([
        store().push(
          alice,
          device,
          Array.from({ length: 20 }, (_, i) => upsert(i + 1, "p1", "title", i)),
        ),
        store().compact({ now: NOW, userIds: [bob] }),
      ]);
      expect((await pullAll(store(), alice)).map((op) => op.id)).toEqual(
        alicePushed.map((op) => op.id),
      );
      expect(await pullAll(store(), bob)).toHaveLength(2);
    });
  });
}
