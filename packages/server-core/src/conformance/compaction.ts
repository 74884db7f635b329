import { materialize, type Op, reduceOps, type StoredOp } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SyncStore } from "../store.js";
import { pullAll, viewOfUser } from "./log.js";
import { protocolExampleLog, remove, upsert, uuid } from "./ops.js";
import { opOfWrite, randomWriteFields } from "./random-writes.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2030-01-01T00:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** A new user whose device pushed `count` upserts of one field; their ids. */
async function userWithLog(
  store: SyncStore,
  count: number,
): Promise<{ user: string; ids: number[] }> {
  const user = uuid();
  const ops = Array.from({ length: count }, (_, i) => upsert(i + 1, "p1", "title", i));
  const pushed = await store.push(user, uuid(), ops);
  return { user, ids: pushed.map((op) => op.id) };
}

/**
 * R59 read op by op: an op below MIN stays unless a later op below MIN
 * supersedes it, that is one of the same field (deletes: of the same
 * entity), or, for an upsert, a later delete of its entity.
 */
function keptByR59(log: readonly StoredOp[], min: number): number[] {
  const below = log.filter((op) => op.id < min);
  const sameEntity = (a: StoredOp, b: StoredOp) =>
    a.entity_type === b.entity_type && a.entity_id === b.entity_id;
  return log
    .filter(
      (op) =>
        op.id >= min ||
        !below.some(
          (later) =>
            later.id > op.id &&
            sameEntity(later, op) &&
            (later.field === op.field || (op.op === "upsert" && later.op === "delete")),
        ),
    )
    .map((op) => op.id);
}

/** Compaction: the collapse, which devices hold it back, every user (R9, R56–R59, R61, R62). */
export function describeCompactionConformance(open: OpenConformanceSubject): void {
  describe("compaction", () => {
    const store = storeUnderTest(open);

    describe("collapse rule", () => {
      it("R59 (collapse), R62 (compaction invariants): keeps per field the highest id below MIN, the newest delete per entity, and drops fields older than it", async () => {
        const [user, device] = [uuid(), uuid()];
        const ops: Op[] = [
          upsert(1, "p1", "title", "a"), // 0: superseded by 4
          upsert(2, "p1", "title", "b"), // 1: superseded by 4
          upsert(3, "p1", "cover", "x"), // 2: winner of its field, but older than the delete 3
          remove(4, "p1"), //               3: newest delete of p1 below MIN: kept
          upsert(5, "p1", "title", "c"), // 4: winner, after the delete: kept
          upsert(6, "p2", "title", "t1"), // 5: superseded by 8
          remove(7, "p2"), //               6: older delete: dropped
          remove(8, "p2"), //               7: newest delete of p2: kept
          upsert(9, "p2", "title", "t2"), // 8: winner after the delete: kept
          upsert(10, "p3", "n", 1, "album"), // 9: lone winner: kept
          upsert(11, "p1", "title", "d"), // 10: at MIN: untouched
          upsert(12, "p1", "title", "e"), // 11: above MIN: untouched
        ];
        const pushed = await store().push(user, device, ops);
        const ids = pushed.map((op) => op.id);
        const full = await pullAll(store(), user);
        await store().ack(user, device, ids[10]!, NOW);

        const done = await store().compactUser(user, { now: NOW });
        expect(done).toEqual({
          userId: user,
          previousCompactedUpTo: 0,
          compactedUpTo: ids[10],
          deleted: 5,
        });
        const compacted = await pullAll(store(), user);
        expect(compacted.map((op) => op.id)).toEqual([3, 4, 7, 8, 9, 10, 11].map((i) => ids[i]));
        expect(materialize(reduceOps(compacted))).toEqual(materialize(reduceOps(full)));
        expect(await store().compactedUpTo(user)).toBe(ids[10]);
      });

      it("R59 (collapse; property): any log of upserts and deletes over entities of two types, any MIN: the ops kept are exactly those nothing below MIN supersedes", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.record(randomWriteFields), { minLength: 1, maxLength: 40 }),
            fc.integer({ min: 1, max: 100 }),
            async (writes, cursorPercent) => {
              const [user, device] = [uuid(), uuid()];
              const ops = writes.map((write, i) => opOfWrite(write, i + 1));
              const pushed = await store().push(user, device, ops);
              const full = await pullAll(store(), user);
              const min = pushed[Math.ceil((cursorPercent / 100) * ops.length) - 1]!.id;
              await store().ack(user, device, min, NOW);
              await store().compactUser(user, { now: NOW });
              const kept = (await pullAll(store(), user)).map((op) => op.id);
              expect(kept).toEqual(keptByR59(full, min));
            },
          ),
          { numRuns: 40 },
        );
      });

      it("R59 (collapse): collapses the protocol's example log (docs/PROTOCOL.md, section 9)", async () => {
        const [user, device, reader] = [uuid(), uuid(), uuid()];
        const pushed = await store().push(user, device, protocolExampleLog());
        const [, , , deleted, titleC, titleD] = pushed.map((op) => op.id);
        await store().ack(user, reader, titleD! - 1, NOW);
        await store().compactUser(user, { now: NOW });
        const log = await pullAll(store(), user);
        expect(log.map((op) => op.id)).toEqual([deleted, titleC, titleD]);
        expect(materialize(reduceOps(log))).toEqual({ playlist: { p1: { title: "D" } } });
        expect(await store().compactedUpTo(user)).toBe(titleD! - 1);
      });

      it("R58 (when a user is skipped): is idempotent; a second run with the same cursors leaves everything as it is", async () => {
        const [user, device] = [uuid(), uuid()];
        const pushed = await store().push(user, device, [
          upsert(1, "p1", "title", "a"),
          upsert(2, "p1", "title", "b"),
          upsert(3, "p1", "title", "c"),
        ]);
        await store().ack(user, device, pushed[2]!.id, NOW);
        expect(await store().compactUser(user, { now: NOW })).toMatchObject({ deleted: 1 });
        const after = await viewOfUser(store(), user, [device]);
        expect(await store().compactUser(user, { now: NOW })).toBeUndefined();
        expect(await viewOfUser(store(), user, [device])).toEqual(after);
      });
    });

    describe("which devices hold it back", () => {
      it("R57 (MIN over fresh devices): ignores a device idle for 91 days; counts it when idle 89 days", async () => {
        const idle = await userWithLog(store(), 10);
        const [active, sleeper] = [uuid(), uuid()];
        await store().ack(idle.user, active, idle.ids[8]!, ago(DAY));
        await store().ack(idle.user, sleeper, idle.ids[2]!, ago(91 * DAY));
        expect(await store().compactUser(idle.user, { now: NOW })).toMatchObject({
          compactedUpTo: idle.ids[8],
        });

        const recent = await userWithLog(store(), 10);
        await store().ack(recent.user, active, recent.ids[8]!, ago(DAY));
        await store().ack(recent.user, sleeper, recent.ids[2]!, ago(89 * DAY));
        expect(await store().compactUser(recent.user, { now: NOW })).toMatchObject({
          compactedUpTo: recent.ids[2],
        });
      });

      it("R57 (MIN over fresh devices): honours staleAfterMs", async () => {
        const { user, ids } = await userWithLog(store(), 6);
        const [active, quiet] = [uuid(), uuid()];
        await store().ack(user, active, ids[5]!, ago(1000));
        await store().ack(user, quiet, ids[1]!, ago(60_000));
        expect(await store().compactUser(user, { now: NOW, staleAfterMs: 30_000 })).toMatchObject({
          compactedUpTo: ids[5],
        });
      });

      it("R56 (compaction sees the buffer), R57: merges an unflushed ACK; it keeps a stale-looking device fresh and can raise its id", async () => {
        const { user, ids } = await userWithLog(store(), 10);
        const [active, sleeper, memoryOnly] = [uuid(), uuid(), uuid()];
        await store().ack(user, active, ids[8]!, ago(DAY));
        await store().ack(user, sleeper, ids[2]!, ago(91 * DAY));
        const pendingAcks = [
          { userId: user, deviceId: sleeper, lastSeenId: ids[5]!, at: ago(1000) },
          { userId: uuid(), deviceId: active, lastSeenId: 1, at: NOW },
        ];
        expect(await store().compactUser(user, { now: NOW, pendingAcks })).toMatchObject({
          compactedUpTo: ids[5],
        });

        // A device known only from memory counts too.
        const other = await userWithLog(store(), 10);
        await store().ack(other.user, active, other.ids[8]!, ago(DAY));
        expect(
          await store().compactUser(other.user, {
            now: NOW,
            pendingAcks: [
              { userId: other.user, deviceId: memoryOnly, lastSeenId: other.ids[4]!, at: NOW },
            ],
          }),
        ).toMatchObject({ compactedUpTo: other.ids[4] });
      });

      it("R57: cursor = max(stored, unflushed); a pending ACK lower than the stored cursor keeps the higher id, fresher time", async () => {
        const { user, ids } = await userWithLog(store(), 10);
        const [active, device] = [uuid(), uuid()];
        await store().ack(user, active, ids[9]!, ago(DAY));
        await store().ack(user, device, ids[6]!, ago(91 * DAY));
        const pendingAcks = [{ userId: user, deviceId: device, lastSeenId: ids[1]!, at: NOW }];
        expect(await store().compactUser(user, { now: NOW, pendingAcks })).toMatchObject({
          compactedUpTo: ids[6],
        });
      });

      it("R58 (when a user is skipped): leaves a user with no fresh device alone", async () => {
        const { user, ids } = await userWithLog(store(), 5);
        const gone = uuid();
        await store().ack(user, gone, ids[4]!, ago(100 * DAY));
        const before = await viewOfUser(store(), user, [gone]);
        expect(await store().compactUser(user, { now: NOW })).toBeUndefined();
        const report = await store().compact({ now: NOW, userIds: [user] });
        expect(report).toEqual({ users: [], deleted: 0 });
        expect(await viewOfUser(store(), user, [gone])).toEqual(before);
      });

      it("R61 (watermark monotone), R58: never moves the watermark down when a new device acks low", async () => {
        const { user, ids } = await userWithLog(store(), 8);
        const [first, late] = [uuid(), uuid()];
        await store().ack(user, first, ids[6]!, NOW);
        await store().compactUser(user, { now: NOW });
        expect(await store().compactedUpTo(user)).toBe(ids[6]);

        await store().ack(user, late, ids[1]!, NOW);
        const before = await viewOfUser(store(), user, [first, late]);
        expect(await store().compactUser(user, { now: NOW })).toBeUndefined();
        expect(await viewOfUser(store(), user, [first, late])).toEqual(before);
        expect(await store().compactedUpTo(user)).toBe(ids[6]);
      });
    });

    describe("compact (all users)", () => {
      it("R57, R58, R9 (tenant isolation): compacts each user with a fresh device and reports watermarks and deletions", async () => {
        const now = new Date("2031-01-01T00:00:00Z");
        const a = await userWithLog(store(), 4);
        const b = await userWithLog(store(), 6);
        const stale = await userWithLog(store(), 3);
        const staleDevice = uuid();
        await store().ack(a.user, uuid(), a.ids[3]!, now);
        await store().ack(
          stale.user,
          staleDevice,
          stale.ids[2]!,
          new Date(now.getTime() - 91 * DAY),
        );
        const pendingAcks = [{ userId: b.user, deviceId: uuid(), lastSeenId: b.ids[5]!, at: now }];
        const staleBefore = await viewOfUser(store(), stale.user, [staleDevice]);

        const report = await store().compact({ now, pendingAcks });
        const mine = report.users.filter((done) => [a.user, b.user].includes(done.userId));
        expect(mine).toEqual(
          expect.arrayContaining([
            { userId: a.user, previousCompactedUpTo: 0, compactedUpTo: a.ids[3], deleted: 2 },
            { userId: b.user, previousCompactedUpTo: 0, compactedUpTo: b.ids[5], deleted: 4 },
          ]),
        );
        expect(report.users.map((done) => done.userId)).not.toContain(stale.user);
        expect(report.deleted).toBe(report.users.reduce((sum, done) => sum + done.deleted, 0));
        expect(await viewOfUser(store(), stale.user, [staleDevice])).toEqual(staleBefore);
      });

      it("R9 (tenant isolation): compacts only the given userIds", async () => {
        const now = new Date("2032-01-01T00:00:00Z");
        const a = await userWithLog(store(), 3);
        const b = await userWithLog(store(), 3);
        await store().ack(a.user, uuid(), a.ids[2]!, now);
        await store().ack(b.user, uuid(), b.ids[2]!, now);
        const report = await store().compact({ now, userIds: [b.user] });
        expect(report.users.map((done) => done.userId)).toEqual([b.user]);
        expect(await store().compactedUpTo(a.user)).toBe(0);
      });
    });
  });
}
