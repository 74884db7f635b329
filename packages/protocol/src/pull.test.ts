import { describe, expect, it } from "vitest";
import { DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT } from "./limits.js";
import { PullQuerySchema, PullResponseSchema } from "./pull.js";

describe("PullQuerySchema", () => {
  it("defaults since to 0 and limit to 1000", () => {
    expect(PullQuerySchema.parse({})).toEqual({
      since: 0,
      limit: DEFAULT_PULL_LIMIT,
      resync: false,
    });
  });

  it("parses query strings into numbers", () => {
    expect(PullQuerySchema.parse({ since: "42", limit: "10" })).toEqual({
      since: 42,
      limit: 10,
      resync: false,
    });
  });

  it("reads resync=true|false and refuses anything else", () => {
    expect(PullQuerySchema.parse({ since: "7", resync: "true" }).resync).toBe(true);
    expect(PullQuerySchema.parse({ resync: "false" }).resync).toBe(false);
    expect(PullQuerySchema.safeParse({ resync: "yes" }).error?.issues[0]?.message).toBe(
      "resync must be true or false",
    );
  });

  it("rejects negative, fractional or non-numeric since", () => {
    for (const since of ["-1", "1.5", "abc", ""]) {
      const result = PullQuerySchema.safeParse({ since });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe("since must be a non-negative integer");
    }
  });

  it("bounds limit to 1..5000", () => {
    expect(PullQuerySchema.safeParse({ limit: "0" }).error?.issues[0]?.message).toBe(
      "limit must be at least 1",
    );
    expect(
      PullQuerySchema.safeParse({ limit: String(MAX_PULL_LIMIT + 1) }).error?.issues[0]?.message,
    ).toBe(`limit must be at most ${MAX_PULL_LIMIT}`);
    expect(PullQuerySchema.parse({ limit: String(MAX_PULL_LIMIT) }).limit).toBe(MAX_PULL_LIMIT);
  });
});

describe("PullResponseSchema", () => {
  it("requires has_more", () => {
    expect(PullResponseSchema.safeParse({ ops: [] }).success).toBe(false);
    expect(PullResponseSchema.parse({ ops: [], has_more: false })).toEqual({
      ops: [],
      has_more: false,
    });
  });

  it("R75: carries the head when the server sends it, a cursor (integer, not negative)", () => {
    expect(PullResponseSchema.parse({ ops: [], has_more: false, head: 12 }).head).toBe(12);
    expect(PullResponseSchema.safeParse({ ops: [], has_more: false, head: -1 }).success).toBe(
      false,
    );
    expect(PullResponseSchema.safeParse({ ops: [], has_more: false, head: 1.5 }).success).toBe(
      false,
    );
  });
});
