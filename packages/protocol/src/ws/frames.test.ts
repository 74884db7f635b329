import { describe, expect, it } from "vitest";
import { ClientFrameSchema } from "./client-frame.js";
import { ServerFrameSchema } from "./server-frame.js";

const stored = {
  id: 1,
  device_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b",
  wall_clock: "2026-11-25T10:00:00.000+00:00",
  operation_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1c",
  lamport_ts: 3,
  entity_type: "playlist",
  entity_id: "p1",
  op: "delete",
  field: null,
  value: null,
};

describe("ServerFrameSchema", () => {
  it("accepts ops, resync_required and pong frames", () => {
    expect(ServerFrameSchema.parse({ type: "ops", ops: [stored] })).toEqual({
      type: "ops",
      ops: [stored],
    });
    expect(ServerFrameSchema.parse({ type: "resync_required", compacted_up_to: 9 })).toEqual({
      type: "resync_required",
      compacted_up_to: 9,
    });
    expect(ServerFrameSchema.parse({ type: "pong" })).toEqual({ type: "pong" });
  });

  it("rejects unknown frame types and malformed ops", () => {
    expect(ServerFrameSchema.safeParse({ type: "hello" }).success).toBe(false);
    expect(ServerFrameSchema.safeParse({ type: "ops", ops: [{ ...stored, id: 0 }] }).success).toBe(
      false,
    );
  });
});

describe("ClientFrameSchema", () => {
  it("R34: accepts exactly the ack frame and ping", () => {
    expect(ClientFrameSchema.parse({ ack: 12 })).toEqual({ ack: 12 });
    expect(ClientFrameSchema.parse({ type: "ping" })).toEqual({ type: "ping" });
  });

  it("rejects an ack with extra keys, a negative ack, or other frames", () => {
    expect(ClientFrameSchema.safeParse({ ack: 1, type: "ack" }).success).toBe(false);
    expect(ClientFrameSchema.safeParse({ ack: -1 }).success).toBe(false);
    const unknown = ClientFrameSchema.safeParse({ type: "subscribe" });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues[0]?.message).toBe(
      'a client frame is { "ack": N } or { "type": "ping" }',
    );
  });
});
