import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_SNAPSHOT_LIMIT, MAX_SNAPSHOT_LIMIT } from "./limits.js";
import { encodeSnapshotCursor, SnapshotQuerySchema, SnapshotResponseSchema } from "./snapshot.js";

const name = (max: number) =>
  fc
    .string({ minLength: 1, maxLength: max, unit: "grapheme" })
    .filter((s) => !s.includes("\u0000"));

describe("SnapshotQuerySchema (R72)", () => {
  it("defaults limit to 1000 and reads no cursor or filter", () => {
    expect(SnapshotQuerySchema.parse({})).toEqual({ limit: DEFAULT_SNAPSHOT_LIMIT });
  });

  it("bounds limit to 1..5000", () => {
    expect(SnapshotQuerySchema.parse({ limit: String(MAX_SNAPSHOT_LIMIT) }).limit).toBe(5000);
    expect(SnapshotQuerySchema.safeParse({ limit: "0" }).error?.issues[0]?.message).toBe(
      "limit must be at least 1",
    );
    expect(SnapshotQuerySchema.safeParse({ limit: "5001" }).error?.issues[0]?.message).toBe(
      "limit must be at most 5000",
    );
    expect(SnapshotQuerySchema.safeParse({ limit: "1e3" }).success).toBe(false);
  });

  it("checks entity_type like an op's", () => {
    expect(SnapshotQuerySchema.parse({ entity_type: "playlist" }).entity_type).toBe("playlist");
    expect(SnapshotQuerySchema.safeParse({ entity_type: "" }).success).toBe(false);
    expect(SnapshotQuerySchema.safeParse({ entity_type: "x".repeat(65) }).success).toBe(false);
    expect(SnapshotQuerySchema.safeParse({ entity_type: "a\u0000" }).success).toBe(false);
  });

  it("round-trips every cursor through next_cursor (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        name(64),
        name(256),
        name(64),
        (asOf, entityType, entityId, field) => {
          const cursor = { asOf, entityType, entityId, field };
          const text = encodeSnapshotCursor(cursor);
          expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(SnapshotQuerySchema.parse({ cursor: text }).cursor).toEqual(cursor);
        },
      ),
    );
  });

  it("refuses a cursor that is not one, with a 400-style issue on cursor", () => {
    const forged = encodeSnapshotCursor({ asOf: 1, entityType: "t", entityId: "e", field: "f" });
    for (const bad of [
      "",
      "not base64!",
      btoa("{}"),
      btoa(JSON.stringify([-1, "t", "e", "f"])),
      btoa(JSON.stringify([1, "", "e", "f"])),
      btoa(JSON.stringify([1, "t", "e"])),
      `${forged}A`.repeat(200),
      btoa("\xff\xfe"),
    ]) {
      const result = SnapshotQuerySchema.safeParse({ cursor: bad });
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.path[0]).toBe("cursor");
    }
  });
});

describe("SnapshotResponseSchema (R72)", () => {
  it("accepts a page and refuses an entity without fields", () => {
    const page = {
      as_of: 9,
      entities: [
        { entity_type: "t", entity_id: "e", fields: [{ field: "f", value: { a: [1] }, id: 3 }] },
      ],
      next_cursor: null,
    };
    expect(SnapshotResponseSchema.parse(page)).toEqual(page);
    const empty = { ...page, entities: [{ entity_type: "t", entity_id: "e", fields: [] }] };
    expect(SnapshotResponseSchema.safeParse(empty).success).toBe(false);
  });
});
