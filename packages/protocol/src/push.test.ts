import { describe, expect, it } from "vitest";
import { invalidRequest } from "./error/request-issues.js";
import { MAX_PUSH_OPS } from "./limits.js";
import { PushRequestSchema, PushResponseSchema } from "./push.js";

const op = (lamport_ts: number, n = lamport_ts) => ({
  operation_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  lamport_ts,
  entity_type: "track",
  entity_id: "t1",
  op: "upsert" as const,
  field: "rating",
  value: n,
});

describe("PushRequestSchema", () => {
  it("R1: drops unknown keys of the body and of each op before they reach a store", () => {
    const parsed = PushRequestSchema.parse({ ops: [{ ...op(1), extra: "x" }], batch_note: 1 });
    expect(parsed).toEqual({ ops: [op(1)] });
  });

  it("accepts 1..1000 ops with strictly increasing lamport_ts", () => {
    expect(PushRequestSchema.safeParse({ ops: [op(1)] }).success).toBe(true);
    const full = Array.from({ length: MAX_PUSH_OPS }, (_, i) => op(i + 1));
    expect(PushRequestSchema.safeParse({ ops: full }).success).toBe(true);
  });

  it("rejects an empty batch and one over the limit", () => {
    const empty = PushRequestSchema.safeParse({ ops: [] });
    expect(empty.success || invalidRequest(empty.error).message).toBe(
      "invalid request: ops: must hold at least one op",
    );
    const over = Array.from({ length: MAX_PUSH_OPS + 1 }, (_, i) => op(i + 1));
    const result = PushRequestSchema.safeParse({ ops: over });
    expect(result.success || invalidRequest(result.error).message).toBe(
      `invalid request: ops: must hold at most ${MAX_PUSH_OPS} ops`,
    );
  });

  it("rejects lamport_ts that repeats or goes down within a batch, naming the op", () => {
    const result = PushRequestSchema.safeParse({ ops: [op(5), op(5, 6), op(3, 7)] });
    expect(result.success).toBe(false);
    const body = result.success ? undefined : invalidRequest(result.error);
    expect(body?.issues.map((i) => i.path)).toEqual([
      ["ops", 1, "lamport_ts"],
      ["ops", 2, "lamport_ts"],
    ]);
    expect(body?.message).toContain(
      "lamport_ts must be strictly increasing within a batch (5 follows 5)",
    );
  });

  it("rejects a body without ops", () => {
    const result = PushRequestSchema.safeParse({});
    expect(result.success).toBe(false);
  });
});

describe("PushResponseSchema", () => {
  it("accepts stored ops marked duplicate or not", () => {
    const stored = {
      ...op(1),
      id: 7,
      device_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b",
      wall_clock: "2026-11-25T10:00:00.000Z",
    };
    const parsed = PushResponseSchema.parse({ ops: [{ ...stored, duplicate: true }] });
    expect(parsed.ops[0]).toEqual({ ...stored, duplicate: true });
  });

  it("rejects a stored op without its server id", () => {
    const result = PushResponseSchema.safeParse({
      ops: [
        {
          ...op(1),
          device_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b",
          wall_clock: "2026-11-25T10:00:00Z",
          duplicate: false,
        },
      ],
    });
    expect(result.success).toBe(false);
  });
});
