import { createHash } from "node:crypto";
import { generateNKeysBetween } from "fractional-indexing";
import type { EntryRecord } from "./playlist-entities.js";

/**
 * A name-based UUID (version 8, RFC 9562) of the `index`-th track of a
 * legacy playlist: every device migrating the same legacy list makes the
 * same entry ids, so their migrations write the same entities instead of
 * duplicating the tracks.
 */
export function legacyEntryId(playlistId: string, index: number, track: string): string {
  const hex = createHash("sha256")
    .update(JSON.stringify(["syncline-playlist-entry", playlistId, index, track]))
    .digest("hex")
    .slice(0, 32)
    .split("");
  hex[12] = "8";
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/**
 * The entries a legacy playlist's `tracks` array becomes, in its order.
 * Ids ({@link legacyEntryId}) and positions (evenly spread keys, no device
 * suffix) depend only on the list, so two devices migrating it agree.
 */
export function legacyEntries(playlistId: string, tracks: readonly string[]): EntryRecord[] {
  const positions = generateNKeysBetween(null, null, tracks.length);
  return tracks.map((track, i) => ({
    entryId: legacyEntryId(playlistId, i, track),
    playlistId,
    track,
    position: positions[i]!,
  }));
}
