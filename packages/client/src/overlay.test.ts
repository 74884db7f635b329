import { describe, expect, it } from "vitest";
import { localOp } from "./conformance/index.js";
import { overlayPending } from "./overlay.js";

describe("overlayPending", () => {
  it("lays upserts over server fields and lets a later upsert revive a deleted entity", () => {
    const server = { a: { title: "server", rank: 1 }, b: { title: "keep" } };
    const del = { ...localOp(2, "track", "a"), op: "delete" as const, field: null, value: null };
    expect(overlayPending(server, [localOp(1, "track", "a")])).toEqual({
      a: { title: "v1", rank: 1 },
      b: { title: "keep" },
    });
    expect(overlayPending(server, [localOp(1, "track", "a"), del])).toEqual({
      b: { title: "keep" },
    });
    expect(overlayPending(server, [del, localOp(3, "track", "a")])).toEqual({
      a: { title: "v3" },
      b: { title: "keep" },
    });
    expect(server).toEqual({ a: { title: "server", rank: 1 }, b: { title: "keep" } });
  });
});
