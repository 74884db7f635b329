import { describe, expect, it } from "vitest";
import { catchUpAppProgress } from "./app-progress.js";

describe("catchUpAppProgress", () => {
  it("words a snapshot read by the items loaded, with no known end", () => {
    expect(catchUpAppProgress({ phase: "snapshot", fieldsLoaded: 12000 })).toEqual({
      step: "Loading the server's playlists: 12,000 items so far",
      fraction: null,
    });
  });

  it("words a pull by the part of the way done, or without a total from a server that sends no head", () => {
    expect(catchUpAppProgress({ phase: "pull", since: 0, reached: 250, head: 1000 })).toEqual({
      step: "Catching up with edits from other devices: 25%",
      fraction: 0.25,
    });
    expect(catchUpAppProgress({ phase: "pull", since: 0, reached: 250, head: null })).toEqual({
      step: "Catching up with edits from other devices",
      fraction: null,
    });
  });
});
