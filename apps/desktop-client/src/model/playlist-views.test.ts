import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EntryRecord } from "./playlist-entities.js";
import { compareEntries, playlistViews, playlistViewsOfState } from "./playlist-views.js";

const entry = fc.record({
  entryId: fc.uuid(),
  playlistId: fc.constantFrom("p", "q", "gone"),
  track: fc.string(),
  position: fc.constantFrom("a0", "a0V", "a1", "a1x", "Zz"),
});
const entries = fc.uniqueArray(entry, { selector: (each) => each.entryId, maxLength: 20 });
const playlists = [
  { id: "q", name: "B" },
  { id: "p", name: "A" },
];

describe("playlistViews", () => {
  it("orders entries by position then entry id, whatever the input order (property)", () => {
    fc.assert(
      fc.property(entries, fc.integer(), (list, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(list, { minLength: list.length }), {
          seed,
          numRuns: 1,
        })[0]!;
        const views = playlistViews(playlists, list);
        expect(playlistViews(playlists, shuffled)).toEqual(views);
        for (const view of views) {
          for (const [i, each] of view.entries.entries()) {
            if (i > 0) expect(compareEntries(view.entries[i - 1]!, each)).toBe(-1);
          }
        }
      }),
    );
  });

  it("is a total order: only the same entry id compares equal (property)", () => {
    fc.assert(
      fc.property(entry, entry, (a, b) => {
        expect(compareEntries(a, b) === 0).toBe(
          a.entryId === b.entryId && a.position === b.position,
        );
        expect(Math.sign(compareEntries(a, b))).toBe(-Math.sign(compareEntries(b, a)));
      }),
    );
  });

  it("shows playlists by name then id, and hides entries of absent playlists", () => {
    const gone: EntryRecord = { entryId: "e", playlistId: "gone", track: "x", position: "a0" };
    expect(playlistViews(playlists, [gone])).toEqual([
      { id: "p", name: "A", entries: [] },
      { id: "q", name: "B", entries: [] },
    ]);
  });

  it("reads a synced state, skipping entries with no playlist or position", () => {
    expect(
      playlistViewsOfState({
        playlist: { p: { name: "Mix" }, q: { name: 7 } },
        playlist_entry: {
          e1: { playlist: "p", track: "x", position: "a1" },
          e2: { playlist: "p", position: "a0" },
          e3: { track: "y", position: "a0" },
          e4: { playlist: "p", track: "z" },
        },
      }),
    ).toEqual([
      { id: "q", name: "", entries: [] },
      {
        id: "p",
        name: "Mix",
        entries: [
          { entryId: "e2", track: "", position: "a0" },
          { entryId: "e1", track: "x", position: "a1" },
        ],
      },
    ]);
  });
});
