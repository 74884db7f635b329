import { randomUUID } from "node:crypto";
import { materialize, reduceOps, type StoredOp } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PlaylistView } from "../repository/playlist-repository.js";
import {
  addTrackChanges,
  createPlaylistChanges,
  deletePlaylistChanges,
  type EntityChange,
  moveEntryChanges,
  removeEntryChanges,
  renameChanges,
} from "./playlist-changes.js";
import { playlistViewsOfState } from "./playlist-views.js";
import { deviceSuffix } from "./position-key.js";

const DEVICES = [randomUUID(), randomUUID()] as const;
const contextOf = (device: 0 | 1) => ({ suffix: deviceSuffix(DEVICES[device]), newId: randomUUID });

/** The changes as the server would store them, with ids from `firstId` on. */
function stored(changes: readonly EntityChange[], firstId: number, device: 0 | 1): StoredOp[] {
  return changes.map((change, i) => ({
    id: firstId + i,
    device_id: DEVICES[device],
    wall_clock: "2026-01-01T00:00:00.000Z",
    operation_id: randomUUID(),
    lamport_ts: firstId + i,
    entity_type: change.entityType,
    entity_id: change.entityId,
    ...(change.op === "upsert"
      ? { op: "upsert" as const, field: change.field, value: change.value }
      : { op: "delete" as const, field: null, value: null }),
  }));
}

const viewsOf = (ops: readonly StoredOp[]) => playlistViewsOfState(materialize(reduceOps(ops)));

/** A log holding one playlist `p` whose tracks were added at the given indexes by either device. */
function logWith(inserts: readonly [number, 0 | 1][]): { log: StoredOp[]; view: PlaylistView } {
  const log = stored(createPlaylistChanges("p", "Mix"), 1, 0);
  for (const [i, [at, device]] of inserts.entries()) {
    const view = viewsOf(log)[0];
    log.push(
      ...stored(addTrackChanges(view, "p", `t${i}`, at, contextOf(device)), log.length + 1, device),
    );
  }
  return { log, view: viewsOf(log)[0]! };
}

const inserts = fc.array(fc.tuple(fc.nat(20), fc.constantFrom<0 | 1>(0, 1)), { maxLength: 8 });
const tracks = (view: PlaylistView | undefined) => view?.entries.map((entry) => entry.track);

describe("playlist changes", () => {
  it("add-track puts the track at the index asked, or at the end", () => {
    const { log } = logWith([]);
    const ctx = contextOf(0);
    for (const [track, at] of [
      ["a", undefined],
      ["c", undefined],
      ["b", 1],
      ["first", 0],
    ] as const) {
      log.push(...stored(addTrackChanges(viewsOf(log)[0], "p", track, at, ctx), log.length + 1, 0));
    }
    expect(tracks(viewsOf(log)[0])).toEqual(["first", "a", "b", "c"]);
  });

  it("move puts the entry at the index of the list without it", () => {
    const { log, view } = logWith([
      [9, 0],
      [9, 0],
      [9, 0],
      [9, 0],
    ]);
    expect(tracks(view)).toEqual(["t0", "t1", "t2", "t3"]);
    const moved = moveEntryChanges(view, "p", view.entries[0]!.entryId, 2, contextOf(1));
    expect(moved).toHaveLength(1);
    log.push(...stored(moved, log.length + 1, 1));
    expect(tracks(viewsOf(log)[0])).toEqual(["t1", "t2", "t0", "t3"]);
  });

  it("remove deletes only that entry, so the same track elsewhere stays", () => {
    const { log, view } = logWith([
      [9, 0],
      [9, 0],
    ]);
    log.push(...stored(addTrackChanges(view, "p", "t0", 9, contextOf(0)), log.length + 1, 0));
    const first = viewsOf(log)[0]!.entries[0]!;
    log.push(...stored(removeEntryChanges(viewsOf(log)[0], "p", first.entryId), log.length + 1, 0));
    expect(tracks(viewsOf(log)[0])).toEqual(["t1", "t0"]);
  });

  it("deleting a playlist hides and deletes its entries", () => {
    const { log, view } = logWith([
      [0, 0],
      [0, 1],
    ]);
    const changes = deletePlaylistChanges(view, "p");
    expect(changes.map((change) => change.op)).toEqual(["delete", "delete", "delete"]);
    // even the playlist's delete alone hides the entries
    expect(viewsOf([...log, ...stored(changes.slice(0, 1), log.length + 1, 0)])).toEqual([]);
  });

  it("rename changes only the name; unknown ids are not_found", () => {
    const { view } = logWith([[0, 0]]);
    expect(renameChanges(view, "p", "New")).toEqual([
      { op: "upsert", entityType: "playlist", entityId: "p", field: "name", value: "New" },
    ]);
    expect(() => renameChanges(undefined, "q", "x")).toThrow(
      expect.objectContaining({ type: "not_found" }),
    );
    expect(() => moveEntryChanges(view, "p", "nope", 0, contextOf(0))).toThrow(
      expect.objectContaining({ type: "not_found" }),
    );
    expect(() => removeEntryChanges(view, "p", "nope")).toThrow(
      expect.objectContaining({ type: "not_found" }),
    );
  });

  it("concurrent adds by two devices at the same place both survive, in any fold order (property)", () => {
    fc.assert(
      fc.property(inserts, fc.nat(20), fc.nat(20), fc.boolean(), (before, atA, atB, aFirst) => {
        const { log, view } = logWith(before);
        const a = addTrackChanges(view, "p", "from-a", atA, contextOf(0));
        const b = addTrackChanges(view, "p", "from-b", atB, contextOf(1));
        const [first, second] = aFirst ? [a, b] : [b, a];
        const all = [
          ...log,
          ...stored(first, log.length + 1, aFirst ? 0 : 1),
          ...stored(second, log.length + 1 + first.length, aFirst ? 1 : 0),
        ];
        const merged = viewsOf(all)[0]!;
        expect(merged.entries).toHaveLength(view.entries.length + 2);
        expect(tracks(merged)).toEqual(expect.arrayContaining(["from-a", "from-b"]));
        // the rest keep their order
        expect(tracks(merged)?.filter((t) => !t.startsWith("from-"))).toEqual(tracks(view));
        expect(viewsOf([...all].reverse())).toEqual(viewsOf(all));
      }),
    );
  });

  it("concurrent moves converge to one order whatever order the ops are folded in (property)", () => {
    fc.assert(
      fc.property(
        inserts.filter((list) => list.length >= 2),
        fc.array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.nat(20), fc.nat(20)), {
          minLength: 2,
          maxLength: 6,
        }),
        fc.integer(),
        (before, moves, seed) => {
          const { log, view } = logWith(before);
          // every move is planned on the same base view (all concurrent)
          const ops = moves.flatMap(([device, which, to], i) => {
            const entry = view.entries[which % view.entries.length]!;
            const changes = moveEntryChanges(view, "p", entry.entryId, to, contextOf(device));
            return stored(changes, log.length + 1 + i, device);
          });
          const shuffled = fc.sample(fc.shuffledSubarray(ops, { minLength: ops.length }), {
            seed,
            numRuns: 1,
          })[0]!;
          const merged = viewsOf([...log, ...ops]);
          expect(viewsOf([...shuffled, ...log.slice().reverse()])).toEqual(merged);
          expect([...tracks(merged[0])!].sort()).toEqual([...tracks(view)!].sort());
        },
      ),
    );
  });
});
