import {
  DEFAULT_PULL_LIMIT,
  isSyncError,
  MAX_PAGE_VALUE_BYTES,
  type SyncError,
} from "@syncline/protocol";
import { describe, expect, it } from "vitest";
import { pullAll, userWithUpserts, viewOfUser } from "./log.js";
import { upsert, uuid } from "./ops.js";
import { rejectionOf } from "./rejection.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

/** Pull pages, the byte bound, the 410 guard, resync pages and the head (R20, R22–R24, R75). */
export function describePullConformance(open: OpenConformanceSubject): void {
  describe("pull", () => {
    const store = storeUnderTest(open);

    describe("pages", () => {
      it("R20 (page): pages through the log in ascending id with has_more", async () => {
        const { user, ids } = await userWithUpserts(store(), 7);
        const first = await store().pull(user, { since: 0, limit: 3 });
        expect(first.ops.map((op) => op.id)).toEqual(ids.slice(0, 3));
        expect(first.has_more).toBe(true);
        const second = await store().pull(user, { since: ids[2]!, limit: 3 });
        expect(second.ops.map((op) => op.id)).toEqual(ids.slice(3, 6));
        expect(second.has_more).toBe(true);
        const last = await store().pull(user, { since: ids[5]!, limit: 3 });
        expect(last.ops.map((op) => op.id)).toEqual(ids.slice(6));
        expect(last.has_more).toBe(false);
      });

      it("R20 (page): says has_more=false when the page ends exactly at the head, and returns nothing after it", async () => {
        const { user, ids } = await userWithUpserts(store(), 4);
        expect(await store().pull(user, { since: ids[1]!, limit: 2 })).toMatchObject({
          has_more: false,
        });
        expect(await store().pull(user, { since: ids[3]!, limit: DEFAULT_PULL_LIMIT })).toEqual({
          ops: [],
          has_more: false,
          head: ids[3],
        });
        expect(await store().pull(uuid(), { since: 0, limit: DEFAULT_PULL_LIMIT })).toEqual({
          ops: [],
          has_more: false,
          head: 0,
        });
      });

      it("R75 (pull head): every page carries the user's head when it was read, not another user's", async () => {
        const { user, ids } = await userWithUpserts(store(), 5);
        const other = await userWithUpserts(store(), 2);
        for (const since of [0, ids[1]!, ids[4]!]) {
          const page = await store().pull(user, { since, limit: 2 });
          expect(page.head).toBe(ids[4]);
          const encoded = await store().pullEncoded(user, { since, limit: 2 });
          expect(encoded.head).toBe(ids[4]);
        }
        // The byte-cut page carries it too.
        const cut = await store().pull(user, { since: 0, limit: 5, maxValueBytes: 1 });
        expect(cut.ops).toHaveLength(1);
        expect(cut.head).toBe(ids[4]);
        expect((await store().pull(other.user, { since: 0, limit: 1 })).head).toBe(other.ids[1]);
      });

      it("R20 (page byte bound): ends a page after the op whose value crosses the byte bound, at least one op a page, has_more honest", async () => {
        const [user, device] = [uuid(), uuid()];
        const big = "x".repeat(60 * 1024);
        const pushed = await store().push(
          user,
          device,
          Array.from({ length: 100 }, (_, i) => upsert(i + 1, `p${i}`, "cover", big)),
        );
        const ids = pushed.map((op) => op.id);
        const valueBytes = JSON.stringify(big).length;

        // The default bound: 5000 ops of 60 KiB never come in one page.
        const first = await store().pull(user, { since: 0, limit: 5000 });
        const perPage = Math.ceil(MAX_PAGE_VALUE_BYTES / valueBytes);
        expect(first.ops.map((op) => op.id)).toEqual(ids.slice(0, perPage));
        expect(first.has_more).toBe(true);

        // Paging by bytes returns every op once, in order, and ends with has_more false.
        const seen: number[] = [];
        let since = 0;
        for (let page = 0; page < 200; page++) {
          const next = await store().pull(user, {
            since,
            limit: 5000,
            maxValueBytes: 3 * valueBytes,
          });
          expect(next.ops.length).toBeGreaterThan(0);
          expect(next.ops.length).toBeLessThanOrEqual(3);
          seen.push(...next.ops.map((op) => op.id));
          since = next.ops.at(-1)!.id;
          if (!next.has_more) break;
        }
        expect(seen).toEqual(ids);

        // A single op larger than the bound still comes, alone.
        const alone = await store().pull(user, { since: 0, limit: 10, maxValueBytes: 1 });
        expect(alone.ops.map((op) => op.id)).toEqual([ids[0]]);
        expect(alone.has_more).toBe(true);
        // The last two ops fit under the default byte bound: has_more is false after them.
        expect(await store().pull(user, { since: ids[97]!, limit: 5000 })).toMatchObject({
          has_more: false,
        });
      });

      it("R24 (pull never writes a cursor): pulling leaves no cursor that could count for compaction", async () => {
        const { user, device } = await userWithUpserts(store(), 3);
        const before = await viewOfUser(store(), user, [device]);
        await pullAll(store(), user, 1);
        expect(await viewOfUser(store(), user, [device])).toEqual(before);
        expect(before.cursors).toEqual([0]);
        // A pull wrote no cursor of any device: compaction finds no device that ACKed.
        expect(await store().compactUser(user)).toBeUndefined();
        expect(await store().compact({ userIds: [user] })).toEqual({ users: [], deleted: 0 });
      });
    });

    describe("the resync guard (410)", () => {
      it("R22 (410 guard), R23 (since=0 always proceeds): refuses 0 < since < compacted_up_to; allows since = 0 and since >= compacted_up_to", async () => {
        const device = uuid();
        const user = uuid();
        const pushed = await store().push(
          user,
          device,
          Array.from({ length: 6 }, (_, i) => upsert(i + 1, "p1", "title", i)),
        );
        const ids = pushed.map((op) => op.id);
        await store().ack(user, device, ids[4]!);
        const compaction = await store().compactUser(user);
        expect(compaction?.compactedUpTo).toBe(ids[4]);
        expect(await store().compactedUpTo(user)).toBe(ids[4]);

        for (const since of [1, ids[0]!, ids[3]!, ids[4]! - 1]) {
          const error = await rejectionOf(store().pull(user, { since, limit: DEFAULT_PULL_LIMIT }));
          expect(isSyncError(error, "resync_required")).toBe(true);
          expect((error as SyncError).status).toBe(410);
          expect((error as SyncError).body).toMatchObject({ compacted_up_to: ids[4] });
        }

        const fromZero = await store().pull(user, { since: 0, limit: DEFAULT_PULL_LIMIT });
        expect(fromZero.ops.map((op) => op.id)).toEqual([ids[3], ids[4], ids[5]]);
        const atWatermark = await store().pull(user, { since: ids[4]!, limit: DEFAULT_PULL_LIMIT });
        expect(atWatermark.ops.map((op) => op.id)).toEqual([ids[5]]);
      });
    });

    describe("resync pages", () => {
      it("R22 (410 guard), R23: pages that continue a read from 0 pass the guard, so a resync ends", async () => {
        const device = uuid();
        const user = uuid();
        const pushed = await store().push(
          user,
          device,
          Array.from({ length: 8 }, (_, i) => upsert(i + 1, `p${i % 4}`, "title", i)),
        );
        const ids = pushed.map((op) => op.id);
        await store().ack(user, device, ids[6]!);
        await store().compactUser(user);
        const first = await store().pull(user, { since: 0, limit: 1 });
        const next = first.ops[0]!.id;
        expect(next).toBeLessThan(ids[6]!);
        // Without the flag, the second page of the resync is refused: the loop would never end.
        await expect(store().pull(user, { since: next, limit: 1 })).rejects.toMatchObject({
          body: { type: "resync_required" },
        });
        const all = await pullAll(store(), user, 1);
        expect(all.map((op) => op.id)).toEqual(
          (await store().pull(user, { since: 0, limit: 100 })).ops.map((op) => op.id),
        );
        expect(all.at(-1)!.id).toBe(ids[7]);
      });
    });
  });
}
