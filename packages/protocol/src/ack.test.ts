import { describe, expect, it } from "vitest";
import { AckRequestSchema } from "./ack.js";

describe("AckRequestSchema", () => {
  it("accepts a non-negative integer cursor", () => {
    expect(AckRequestSchema.parse({ last_seen_id: 0 })).toEqual({ last_seen_id: 0 });
    expect(AckRequestSchema.parse({ last_seen_id: 123 })).toEqual({ last_seen_id: 123 });
  });

  it("rejects negative, fractional, missing or string cursors with a readable message", () => {
    expect(AckRequestSchema.safeParse({ last_seen_id: -1 }).error?.issues[0]?.message).toBe(
      "must be at least 0",
    );
    expect(AckRequestSchema.safeParse({ last_seen_id: 1.5 }).error?.issues[0]?.message).toBe(
      "must be an integer",
    );
    expect(AckRequestSchema.safeParse({ last_seen_id: "5" }).error?.issues[0]?.message).toBe(
      "must be a number",
    );
    expect(AckRequestSchema.safeParse({}).success).toBe(false);
  });
});
