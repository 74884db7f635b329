import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorBodySchema, type ErrorType } from "./error-body.js";
import { ERROR_RECOVERY, recoveryFor } from "./error-recovery.js";
import { ERROR_STATUS } from "./error-status.js";
import { invalidRequest } from "./request-issues.js";
import { isSyncError, SyncError } from "./sync-error.js";

const examples: Record<ErrorType, unknown> = {
  invalid_request: {
    type: "invalid_request",
    message: "m",
    issues: [{ path: ["ops", 0], message: "x", code: "custom" }],
  },
  unauthorized: { type: "unauthorized", message: "token expired" },
  not_found: { type: "not_found", message: "no route" },
  payload_too_large: { type: "payload_too_large", message: "too big", max_bytes: 8 },
  lamport_conflict: {
    type: "lamport_conflict",
    message: "stale",
    max_lamport_ts: 41,
    operation_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b",
  },
  operation_id_reused: {
    type: "operation_id_reused",
    message: "changed",
    operation_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b",
  },
  resync_required: { type: "resync_required", message: "gone", compacted_up_to: 100 },
  internal: { type: "internal", message: "oops" },
};

describe("ErrorBodySchema", () => {
  it.each(Object.entries(examples))("accepts a %s body", (_type, body) => {
    expect(ErrorBodySchema.parse(body)).toEqual(body);
  });

  it("R37: rejects a body missing its type-specific fields", () => {
    expect(ErrorBodySchema.safeParse({ type: "lamport_conflict", message: "m" }).success).toBe(
      false,
    );
    expect(ErrorBodySchema.safeParse({ type: "resync_required", message: "m" }).success).toBe(
      false,
    );
    expect(ErrorBodySchema.safeParse({ type: "teapot", message: "m" }).success).toBe(false);
  });
});

describe("error classification", () => {
  it("R37, R38: gives each error type its documented status and recovery", () => {
    expect(ERROR_STATUS.invalid_request).toBe(422);
    expect(ERROR_STATUS.lamport_conflict).toBe(409);
    expect(ERROR_STATUS.resync_required).toBe(410);
    expect(ERROR_STATUS.internal).toBe(500);
    expect(ERROR_RECOVERY.lamport_conflict).toBe("restamp");
    expect(ERROR_RECOVERY.resync_required).toBe("reset");
    expect(ERROR_RECOVERY.unauthorized).toBe("reauthenticate");
    expect(ERROR_RECOVERY.operation_id_reused).toBe("reject");
    expect(ERROR_RECOVERY.internal).toBe("retry");
  });

  it("R38, R39: classifies bodies by type and bare statuses by status", () => {
    expect(recoveryFor(409, "lamport_conflict")).toBe("restamp");
    expect(recoveryFor(502)).toBe("retry");
    expect(recoveryFor(429)).toBe("retry");
    expect(recoveryFor(401)).toBe("reauthenticate");
    expect(recoveryFor(410)).toBe("reset");
    expect(recoveryFor(400)).toBe("reject");
  });
});

describe("SyncError", () => {
  it("carries the body, its status and recovery", () => {
    const error = new SyncError({ type: "resync_required", message: "gone", compacted_up_to: 5 });
    expect(error.status).toBe(410);
    expect(error.type).toBe("resync_required");
    expect(error.recovery).toBe("reset");
    expect(error.message).toBe("gone");
    expect(isSyncError(error, "resync_required")).toBe(true);
    expect(isSyncError(error, "lamport_conflict")).toBe(false);
    expect(isSyncError(new Error("x"))).toBe(false);
  });
});

describe("invalidRequest", () => {
  it("names every issue with its path in one message", () => {
    const result = z
      .object({ a: z.number(), b: z.object({ c: z.string() }) })
      .safeParse({ a: "x", b: {} });
    const body = invalidRequest(result.error!, "body");
    expect(body.type).toBe("invalid_request");
    expect(body.issues.map((i) => i.path)).toEqual([["a"], ["b", "c"]]);
    expect(body.message).toMatch(/^invalid body: a: .+; b\.c: .+$/);
    expect(ErrorBodySchema.parse(body)).toEqual(body);
  });
});
