import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { legacyEntries } from "./legacy-tracks.js";
import { playlistViews } from "./playlist-views.js";

describe("legacyEntries", () => {
  it("keeps every track in order, with distinct UUIDs, the same on every run (property)", () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 30 }),
        (id, tracks) => {
          const entries = legacyEntries(id, tracks);
          expect(legacyEntries(id, tracks)).toEqual(entries);
          expect(new Set(entries.map((entry) => entry.entryId)).size).toBe(tracks.length);
          for (const entry of entries) {
            expect(entry.entryId).toMatch(
              /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
            );
          }
          const [view] = playlistViews([{ id, name: "" }], entries);
          expect(view!.entries.map((entry) => entry.track)).toEqual(tracks);
        },
      ),
    );
  });
});
