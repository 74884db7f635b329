import {
  applyOpTo,
  type JsonValue,
  materialize,
  reduceOps,
  type SnapshotEntity,
  type StoredOp,
  type SyncState,
  type UpsertOp,
} from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClientStore } from "../store.js";

/** A store under test; `reopen` (when the store persists) opens the same data again. */
export interface StoreFixture {
  readonly store: ClientStore<unknown>;
  readonly reopen?: () => ClientStore<unknown>;
}

const TYPES = ["track", "playlist"] as const;
const IDS = ["a", "b", "c"] as const;
const FIELDS = ["title", "rank"] as const;

const jsonValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

/** Random stored ops with distinct ids over a few entities and fields. */
export const storedOps: fc.Arbitrary<StoredOp[]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 150 }), { minLength: 0, maxLength: 60 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc
          .record({
            type: fc.constantFrom(...TYPES),
            entity: fc.constantFrom(...IDS),
            field: fc.constantFrom(...FIELDS),
            del: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
            value: jsonValue,
          })
          .map(
            ({ type, entity, field, del, value }): StoredOp =>
              del
                ? {
                    ...opBase(id, type, entity),
                    op: "delete",
                    field: null,
                    value: null,
                  }
                : { ...opBase(id, type, entity), op: "upsert", field, value },
          ),
      ),
    ),
  );

function opBase(id: number, type: string, entity: string) {
  return {
    id,
    operation_id: `00000000-0000-7000-8000-${String(id).padStart(12, "0")}`,
    device_id: "00000000-0000-7000-8000-000000000001",
    lamport_ts: id,
    entity_type: type,
    entity_id: entity,
    wall_clock: "2025-01-01T00:00:00.000Z",
  };
}

/**
 * The snapshot pages a server would send of `state` (R72): its visible
 * fields with their writers' ids, in key order, `limit` fields a page, an
 * entity continuing on the next page when a page ends inside it.
 */
export function snapshotPages(state: SyncState, limit: number): SnapshotEntity[][] {
  const rows = [...state]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([type, byId]) =>
      [...byId]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([id, entity]) =>
          [...entity.fields]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([field, written]) => ({ type, id, field: { field, ...written } })),
        ),
    );
  const pages: SnapshotEntity[][] = [];
  for (let start = 0; start < rows.length; start += limit) {
    const page: SnapshotEntity[] = [];
    for (const { type, id, field } of rows.slice(start, start + limit)) {
      const last = page.at(-1);
      if (last?.entity_type === type && last.entity_id === id) last.fields.push(field);
      else page.push({ entity_type: type, entity_id: id, fields: [field] });
    }
    pages.push(page);
  }
  return pages;
}

/** A pending op for the queue tests. */
export function localOp(n: number, entityType = "track", entityId = "a"): UpsertOp {
  return {
    operation_id: `00000000-0000-7000-9000-${String(n).padStart(12, "0")}`,
    lamport_ts: n,
    entity_type: entityType,
    entity_id: entityId,
    op: "upsert",
    field: "title",
    value: `v${n}`,
  };
}

/**
 * The rules every `ClientStore` keeps, run against one adapter (published as
 * `@syncline/client/conformance`, so a store for another database can prove
 * itself; `vitest` and `fast-check` must be installed). `open` gives a fresh,
 * empty store for each test.
 * @example
 * import { describeClientStore } from "@syncline/client/conformance";
 * describeClientStore("MyStore", () => ({ store: new MyStore() }));
 */
export function describeClientStore(name: string, open: () => StoreFixture): void {
  describe(`${name} (ClientStore conformance)`, () => {
    it("starts empty: no device id, clock 0, cursor 0, empty queue", () => {
      const { store } = open();
      store.transaction((tx) => {
        expect(tx.deviceId()).toBeUndefined();
        expect(tx.lamport()).toBe(0);
        expect(tx.cursor()).toBe(0);
        expect(tx.pending()).toEqual([]);
        expect(tx.pendingCount()).toBe(0);
        expect(tx.failed()).toEqual([]);
        expect(tx.entities("track")).toEqual({});
      });
    });

    it("keeps settings, and (when persistent) across a reopen", () => {
      const fixture = open();
      fixture.store.transaction((tx) => {
        tx.setDeviceId("0192f5c1-3b7e-7a4c-9d2e-5f1a2b3c4d5e");
        tx.setLamport(41);
        tx.setCursor(9_007_199_254_740_000);
      });
      const again = fixture.reopen?.() ?? fixture.store;
      again.transaction((tx) => {
        expect(tx.deviceId()).toBe("0192f5c1-3b7e-7a4c-9d2e-5f1a2b3c4d5e");
        expect(tx.lamport()).toBe(41);
        expect(tx.cursor()).toBe(9_007_199_254_740_000);
      });
    });

    it("queues ops in order; limit, count and per-entity filter", () => {
      const { store } = open();
      store.transaction((tx) => {
        tx.enqueue(localOp(1, "track", "a"));
        tx.enqueue(localOp(2, "track", "b"));
        tx.enqueue(localOp(3, "playlist", "a"));
        tx.enqueue({ ...localOp(4, "track", "a"), op: "delete", field: null, value: null });
      });
      store.transaction((tx) => {
        expect(tx.pending().map((p) => p.op.lamport_ts)).toEqual([1, 2, 3, 4]);
        expect(tx.pending(2).map((p) => p.op.lamport_ts)).toEqual([1, 2]);
        expect(tx.pending()[3]!.op).toEqual({
          ...localOp(4, "track", "a"),
          op: "delete",
          field: null,
          value: null,
        });
        expect(tx.pendingCount()).toBe(4);
        expect(tx.pendingOf("track").map((op) => op.lamport_ts)).toEqual([1, 2, 4]);
        expect(tx.pendingOf("track", "a").map((op) => op.lamport_ts)).toEqual([1, 4]);
        expect(tx.pending()[0]).toEqual({
          op: localOp(1, "track", "a"),
          attempts: 0,
          lastError: null,
        });
      });
    });

    it("restamps in place, counts attempts, parks failed ops, removes", () => {
      const fixture = open();
      const { store } = fixture;
      store.transaction((tx) => {
        for (const n of [1, 2, 3]) tx.enqueue(localOp(n));
      });
      const [one, two, three] = [1, 2, 3].map((n) => localOp(n).operation_id) as [
        string,
        string,
        string,
      ];
      const issue = { type: "internal" as const, message: "boom", status: 503 };
      store.transaction((tx) => {
        tx.restamp(one, 100);
        tx.restamp(two, 101);
        tx.recordAttempt([one, two], issue);
        tx.recordAttempt([one], { type: "network", message: "down" });
        tx.markFailed(three, { type: "invalid_request", message: "bad", status: 422 });
      });
      const reopened = fixture.reopen?.() ?? store;
      reopened.transaction((tx) => {
        expect(tx.pending()).toEqual([
          {
            op: { ...localOp(1), lamport_ts: 100 },
            attempts: 2,
            lastError: { type: "network", message: "down" },
          },
          { op: { ...localOp(2), lamport_ts: 101 }, attempts: 1, lastError: issue },
        ]);
        expect(tx.pendingCount()).toBe(2);
        expect(tx.pendingOf("track").map((op) => op.operation_id)).toEqual([one, two]);
        expect(tx.failed()).toEqual([
          {
            op: localOp(3),
            attempts: 1,
            error: { type: "invalid_request", message: "bad", status: 422 },
          },
        ]);
        tx.remove([one, three]);
      });
      reopened.transaction((tx) => {
        expect(tx.pending().map((p) => p.op.operation_id)).toEqual([two]);
        expect(tx.failed()).toEqual([]);
      });
    });

    it("rolls back everything when the transaction throws", () => {
      const { store } = open();
      store.transaction((tx) => tx.enqueue(localOp(1)));
      expect(() =>
        store.transaction((tx) => {
          tx.enqueue(localOp(2));
          tx.setLamport(7);
          tx.setCursor(5);
          applyOpTo(tx, { ...opBase(5, "track", "a"), op: "upsert", field: "title", value: 1 });
          tx.loadSnapshot([
            { entity_type: "track", entity_id: "b", fields: [{ field: "title", value: 2, id: 4 }] },
          ]);
          tx.remove([localOp(1).operation_id]);
          throw new Error("app failure");
        }),
      ).toThrow("app failure");
      store.transaction((tx) => {
        expect(tx.pending().map((p) => p.op.lamport_ts)).toEqual([1]);
        expect(tx.lamport()).toBe(0);
        expect(tx.cursor()).toBe(0);
        expect(tx.entities("track")).toEqual({});
      });
    });

    it("C12: a transaction opened inside another joins it: it sees the outer writes, and a throw rolls back both", () => {
      const { store } = open();
      store.transaction((outer) => {
        outer.enqueue(localOp(1));
        outer.setCursor(3);
        store.transaction((inner) => {
          expect(inner.pendingCount()).toBe(1);
          expect(inner.cursor()).toBe(3);
          inner.setLamport(9);
        });
        expect(outer.lamport()).toBe(9);
      });
      expect(() =>
        store.transaction((outer) => {
          outer.setCursor(4);
          store.transaction((inner) => inner.enqueue(localOp(2)));
          throw new Error("app failure");
        }),
      ).toThrow("app failure");
      store.transaction((tx) => {
        expect(tx.cursor()).toBe(3);
        expect(tx.pending().map((p) => p.op.lamport_ts)).toEqual([1]);
      });
    });

    it("server state equals the protocol reducer for any ops, order, paging and duplicates", () => {
      const { store } = open();
      fc.assert(
        fc.property(storedOps, fc.integer({ min: 1, max: 7 }), fc.boolean(), (ops, page, twice) => {
          store.transaction((tx) => tx.wipe());
          const order = twice ? [...ops].reverse().concat(ops) : ops;
          for (let i = 0; i < order.length; i += page) {
            store.transaction((tx) => {
              for (const op of order.slice(i, i + page)) applyOpTo(tx, op);
            });
          }
          const expected = materialize(reduceOps(ops));
          store.transaction((tx) => {
            for (const type of TYPES) {
              expect(tx.entities(type)).toEqual(expected[type] ?? {});
              for (const id of IDS) {
                const one = expected[type]?.[id];
                expect(tx.entities(type, id)).toEqual(one ? { [id]: one } : {});
              }
            }
          });
        }),
        { numRuns: 150 },
      );
    });

    it("loadSnapshot records each field with its writer's id, in bulk, across pages and (when persistent) a reopen", () => {
      const fixture = open();
      const values: JsonValue[] = [
        null,
        0,
        -1.5,
        "",
        "é🎵\n\"'",
        true,
        [1, [2]],
        { a: { b: null } },
      ];
      // More fields than one bulk statement holds, an entity split across two pages.
      const many: SnapshotEntity = {
        entity_type: "track",
        entity_id: "many",
        fields: Array.from({ length: 250 }, (_, i) => ({ field: `f${i}`, value: i, id: 1000 + i })),
      };
      fixture.store.transaction((tx) => {
        tx.wipe();
        tx.loadSnapshot([
          {
            entity_type: "playlist",
            entity_id: "p",
            fields: values.map((value, i) => ({ field: `v${i}`, value, id: 10 + i })),
          },
          { ...many, fields: many.fields.slice(0, 120) },
        ]);
      });
      fixture.store.transaction((tx) =>
        tx.loadSnapshot([{ ...many, fields: many.fields.slice(120) }]),
      );
      const again = fixture.reopen?.() ?? fixture.store;
      again.transaction((tx) => {
        expect(tx.entities("playlist")).toEqual({
          p: Object.fromEntries(values.map((value, i) => [`v${i}`, value])),
        });
        expect(tx.entities("track", "many")).toEqual({
          many: Object.fromEntries(many.fields.map(({ field, value }) => [field, value])),
        });
        expect(tx.fieldId("playlist", "p", "v4")).toBe(14);
        expect(tx.fieldId("track", "many", "f249")).toBe(1249);
        expect(tx.tombstoneId("playlist", "p")).toBe(0);
        expect(tx.cursor()).toBe(0);
      });
    });

    it("loadSnapshot keeps the reducer's rule: a newer writer or a tombstone at or above a field's id wins", () => {
      const { store } = open();
      store.transaction((tx) => {
        applyOpTo(tx, { ...opBase(60, "track", "a"), op: "upsert", field: "title", value: "new" });
        applyOpTo(tx, { ...opBase(50, "track", "b"), op: "delete", field: null, value: null });
        tx.loadSnapshot([
          {
            entity_type: "track",
            entity_id: "a",
            fields: [
              { field: "title", value: "old", id: 40 },
              { field: "rank", value: 7, id: 70 },
            ],
          },
          {
            entity_type: "track",
            entity_id: "b",
            fields: [
              { field: "title", value: "deleted", id: 45 },
              { field: "rank", value: "at the tombstone", id: 50 },
              { field: "tags", value: "after", id: 55 },
            ],
          },
        ]);
      });
      store.transaction((tx) => {
        expect(tx.entities("track")).toEqual({
          a: { title: "new", rank: 7 },
          b: { tags: "after" },
        });
        expect(tx.fieldId("track", "a", "title")).toBe(60);
        expect(tx.tombstoneId("track", "b")).toBe(50);
      });
    });

    it("R74: a snapshot of the log up to as_of, paged, plus the ops after it in any order, equals the reducer", () => {
      const { store } = open();
      fc.assert(
        fc.property(
          storedOps,
          fc.integer({ min: 0, max: 150 }),
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: 0, max: 60 }),
          (ops, asOf, limit, early) => {
            const before = ops.filter((op) => op.id <= asOf);
            const after = ops.filter((op) => op.id > asOf);
            store.transaction((tx) => tx.wipe());
            // Some later ops arrive first (a push confirmed while the pages load).
            store.transaction((tx) => {
              for (const op of after.slice(0, early)) applyOpTo(tx, op);
            });
            for (const page of snapshotPages(reduceOps(before), limit)) {
              store.transaction((tx) => tx.loadSnapshot(page));
            }
            store.transaction((tx) => {
              for (const op of after) applyOpTo(tx, op);
            });
            const expected = materialize(reduceOps(ops));
            store.transaction((tx) => {
              for (const type of TYPES) expect(tx.entities(type)).toEqual(expected[type] ?? {});
            });
          },
        ),
        { numRuns: 150 },
      );
    });

    it("wipe drops op-derived state and the cursor, keeps the queue and the clock", () => {
      const { store } = open();
      store.transaction((tx) => {
        tx.enqueue(localOp(1));
        tx.setLamport(12);
        tx.setCursor(30);
        applyOpTo(tx, { ...opBase(30, "track", "a"), op: "upsert", field: "title", value: "x" });
        applyOpTo(tx, { ...opBase(31, "track", "b"), op: "delete", field: null, value: null });
      });
      store.transaction((tx) => tx.wipe());
      store.transaction((tx) => {
        expect(tx.entities("track")).toEqual({});
        expect(tx.tombstoneId("track", "b")).toBe(0);
        expect(tx.fieldId("track", "a", "title")).toBe(0);
        expect(tx.cursor()).toBe(0);
        expect(tx.lamport()).toBe(12);
        expect(tx.pending().map((p) => p.op)).toEqual([localOp(1)]);
      });
    });
  });
}
