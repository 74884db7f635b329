import {
  applyOpTo,
  isSyncError,
  type JsonValue,
  reduceOps,
  SnapshotQuerySchema,
  type SnapshotResponse,
  SnapshotResponseSchema,
  type SyncState,
  syncStateTarget,
} from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SnapshotPageRequest, SyncStore } from "../store.js";
import { pullAll } from "./log.js";
import { remove, upsert, uuid } from "./ops.js";
import { opOfWrite, randomWriteFields } from "./random-writes.js";
import { type OpenConformanceSubject, storeUnderTest } from "./subject.js";

const NOW = new Date("2030-01-01T00:00:00Z");

/** A visible field as `type/id/field` → its value and winning id. */
type Visible = Record<string, { value: JsonValue; id: number }>;

/** The visible fields of a folded state, with the id that won each (R48–R50). */
function visibleOf(state: SyncState): Visible {
  const out: Visible = {};
  for (const [type, byId] of state) {
    for (const [id, entity] of byId) {
      for (const [field, written] of entity.fields) {
        out[`${type}/${id}/${field}`] = { value: written.value, id: written.id };
      }
    }
  }
  return out;
}

/** The decoded cursor of a page's `next_cursor`, as the route reads it from the query. */
function cursorOf(page: SnapshotResponse): SnapshotPageRequest["cursor"] {
  return page.next_cursor === null
    ? undefined
    : SnapshotQuerySchema.parse({ cursor: page.next_cursor }).cursor;
}

/**
 * Reads every page of a snapshot, calling `between` after each page that has
 * a successor.
 * @returns the pages, each checked against the wire schema
 */
async function readSnapshot(
  store: SyncStore,
  userId: string,
  request: Omit<SnapshotPageRequest, "cursor">,
  between: () => Promise<void> = async () => {},
): Promise<SnapshotResponse[]> {
  const pages: SnapshotResponse[] = [];
  let cursor: SnapshotPageRequest["cursor"];
  for (;;) {
    const page = await store.snapshot(userId, { ...request, cursor });
    expect(SnapshotResponseSchema.parse(page)).toEqual(page);
    pages.push(page);
    cursor = cursorOf(page);
    if (!cursor) return pages;
    await between();
  }
}

/** What a device holds after loading `pages` into empty state: each field with its winner. */
function loadPages(pages: readonly SnapshotResponse[]): SyncState {
  const state: SyncState = new Map();
  const target = syncStateTarget(state);
  for (const page of pages) {
    for (const entity of page.entities) {
      for (const { field, value, id } of entity.fields) {
        target.setField(entity.entity_type, entity.entity_id, field, value, id);
      }
    }
  }
  return state;
}

/** Every field of the pages as `type/id/field`, in page order. */
const keysOf = (pages: readonly SnapshotResponse[]) =>
  pages.flatMap((page) =>
    page.entities.flatMap((e) => e.fields.map((f) => `${e.entity_type}/${e.entity_id}/${f.field}`)),
  );

/** One step of a random history: a push by one of three devices, an ACK, or a compaction. */
const historyStep = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("write" as const),
      device: fc.nat({ max: 2 }),
      ...randomWriteFields,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("compact" as const),
      device: fc.nat({ max: 2 }),
      percent: fc.integer({ min: 1, max: 100 }),
    }),
  },
);
type HistoryStep = typeof historyStep extends fc.Arbitrary<infer T> ? T : never;

/** The snapshot read (R72–R74): pages of the current state that, with one pull, equal the fold. */
export function describeSnapshotConformance(open: OpenConformanceSubject): void {
  describe("snapshot", () => {
    const store = storeUnderTest(open);

    /** Runs random steps on `user`: writes by three devices, ACKs by all of them and compactions. */
    function history(user: string) {
      const devices = [uuid(), uuid(), uuid()];
      const clocks = [0, 0, 0];
      return async (steps: readonly HistoryStep[]) => {
        for (const s of steps) {
          if (s.kind === "write") {
            const lamport = ++clocks[s.device]!;
            await store().push(user, devices[s.device]!, [opOfWrite(s, lamport)]);
            continue;
          }
          const head = await store().headId(user);
          // Every device ACKs somewhere up to the head, so MIN moves and compaction removes ops.
          for (const [i, device] of devices.entries()) {
            const at = i === s.device ? Math.ceil((s.percent / 100) * head) : head;
            if (at > 0) await store().ack(user, device, at, NOW);
          }
          await store().compactUser(user, { now: NOW });
        }
      };
    }

    it("R72 (snapshot page): an empty log reads as one empty last page at as_of 0", async () => {
      const pages = await readSnapshot(store(), uuid(), { limit: 10 });
      expect(pages).toEqual([{ as_of: 0, entities: [], next_cursor: null }]);
    });

    it("R72 (snapshot page): pages of any size hold each visible field once, with its winner, and nothing deleted", async () => {
      const user = uuid();
      const device = uuid();
      const pushed = await store().push(user, device, [
        upsert(1, "p1", "title", "A"),
        upsert(2, "p1", "title", "B"),
        upsert(3, "p1", "cover", "x"),
        upsert(4, "p2", "title", "gone"),
        remove(5, "p2"),
        remove(6, "p1"),
        upsert(7, "p1", "title", "C"),
        upsert(8, "t1", "name", { artist: "Nina", seconds: 242 }, "track"),
        upsert(9, "t1", "rating", 5, "track"),
        upsert(10, "p3", "title", "P3"),
      ]);
      const idOf = (i: number) => pushed[i]!.id;
      const expected = {
        "playlist/p1/title": { value: "C", id: idOf(6) },
        "playlist/p3/title": { value: "P3", id: idOf(9) },
        "track/t1/name": { value: { artist: "Nina", seconds: 242 }, id: idOf(7) },
        "track/t1/rating": { value: 5, id: idOf(8) },
      };
      for (const limit of [1, 2, 3, 1000]) {
        const pages = await readSnapshot(store(), user, { limit });
        expect(visibleOf(loadPages(pages))).toEqual(expected);
        // Each field once, every page within its limit, one as_of: the head at the first page.
        expect(new Set(keysOf(pages)).size).toBe(4);
        expect(keysOf(pages)).toHaveLength(4);
        expect(pages.every((page) => page.as_of === idOf(9))).toBe(true);
        for (const page of pages) {
          expect(page.entities.flatMap((e) => e.fields).length).toBeLessThanOrEqual(limit);
        }
        expect(pages.at(-1)!.next_cursor).toBeNull();
      }
      // An entity cut between pages continues on the next one: t1's two fields, one per page.
      const onePerPage = await readSnapshot(store(), user, { limit: 1 });
      expect(onePerPage).toHaveLength(4);
      expect(onePerPage.filter((p) => p.entities[0]?.entity_id === "t1")).toHaveLength(2);
    });

    it("R72 (snapshot page): entity_type reads only that type, and its pages end with it", async () => {
      const user = uuid();
      await store().push(user, uuid(), [
        upsert(1, "a", "f", 1, "album"),
        upsert(2, "t1", "name", "one", "track"),
        upsert(3, "t2", "name", "two", "track"),
        upsert(4, "z", "f", 1, "zone"),
      ]);
      for (const limit of [1, 2, 10]) {
        const pages = await readSnapshot(store(), user, { limit, entityType: "track" });
        expect(keysOf(pages).sort()).toEqual(["track/t1/name", "track/t2/name"]);
      }
      const none = await readSnapshot(store(), user, { limit: 10, entityType: "nothing" });
      expect(none).toEqual([{ as_of: expect.any(Number), entities: [], next_cursor: null }]);
    });

    it("R72 (snapshot page): a page ends once its values reach the byte bound, and always holds a field", async () => {
      const user = uuid();
      const big = "x".repeat(3000);
      await store().push(
        user,
        uuid(),
        Array.from({ length: 6 }, (_, i) => upsert(i + 1, `e${i}`, "blob", big)),
      );
      const pages = await readSnapshot(store(), user, { limit: 100, maxValueBytes: 5000 });
      // 3002 bytes each: a page takes a second value only while under the bound.
      expect(pages.map((p) => p.entities.length)).toEqual([2, 2, 2]);
      const tiny = await readSnapshot(store(), user, { limit: 100, maxValueBytes: 1 });
      expect(tiny).toHaveLength(6);
      expect(keysOf(tiny)).toHaveLength(6);
    });

    it("R73 (snapshot as_of): a cursor whose as_of is above the head is refused with 422, naming the cursor", async () => {
      const user = uuid();
      await store().push(user, uuid(), [upsert(1, "p1", "title", "A")]);
      const head = await store().headId(user);
      const cursor = { asOf: head + 1, entityType: "playlist", entityId: "p1", field: "a" };
      const refused = await store()
        .snapshot(user, { limit: 10, cursor })
        .catch((error: unknown) => error);
      expect(isSyncError(refused)).toBe(true);
      if (!isSyncError(refused)) return;
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({
        type: "invalid_request",
        issues: [{ path: ["cursor"], code: "too_big" }],
      });
    });

    it("R9 (tenant isolation): a snapshot shows only its user's state, even through another user's cursor", async () => {
      const [alice, bob] = [uuid(), uuid()];
      const device = uuid();
      await store().push(alice, device, [
        upsert(1, "p1", "title", "alice"),
        upsert(2, "p2", "title", "alice"),
      ]);
      await store().push(bob, device, [upsert(1, "p1", "title", "bob")]);
      const alicePage = await store().snapshot(alice, { limit: 1 });
      expect(alicePage.next_cursor).not.toBeNull();
      const cursor = cursorOf(alicePage)!;
      const bobPages = await readSnapshot(store(), bob, { limit: 10 });
      expect(keysOf(bobPages)).toEqual(["playlist/p1/title"]);
      expect(bobPages[0]!.entities[0]!.fields[0]!.value).toBe("bob");
      // Bob's head is above Alice's as_of, so her cursor reads on in Bob's own state only.
      const through = await store().snapshot(bob, { limit: 10, cursor });
      const values = through.entities.flatMap((e) => e.fields.map((f) => f.value));
      expect(values.every((value) => value === "bob")).toBe(true);
    });

    it("R74 (snapshot then pull): the pages plus a pull since=as_of (resync) equal the fold of the whole log, while pushes and compaction run between pages (property)", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(historyStep, { minLength: 1, maxLength: 30 }),
          fc.array(fc.array(historyStep, { maxLength: 4 }), { maxLength: 12 }),
          fc.integer({ min: 1, max: 4 }),
          fc.option(fc.constantFrom("playlist", "track"), { nil: undefined }),
          async (before, betweenPages, limit, entityType) => {
            const user = uuid();
            const run = history(user);
            await run(before);
            let gap = 0;
            const pages = await readSnapshot(store(), user, { limit, entityType }, () =>
              run(betweenPages[gap++] ?? []),
            );
            await run(betweenPages.slice(gap).flat());
            const asOf = pages[0]!.as_of;
            expect(pages.every((page) => page.as_of === asOf)).toBe(true);

            // The device: snapshot pages, then every op after as_of (R74: resync, so no 410).
            const device = loadPages(pages);
            const target = syncStateTarget(device);
            let since = asOf;
            for (;;) {
              const page = await store().pull(user, { since, limit: 3, resync: true });
              for (const op of page.ops) {
                if (entityType === undefined || op.entity_type === entityType) {
                  applyOpTo(target, op);
                }
              }
              if (!page.has_more) break;
              since = page.ops.at(-1)!.id;
            }
            const whole = await pullAll(store(), user);
            const fold = visibleOf(
              reduceOps(
                whole.filter((op) => entityType === undefined || op.entity_type === entityType),
              ),
            );
            expect(visibleOf(device)).toEqual(fold);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
