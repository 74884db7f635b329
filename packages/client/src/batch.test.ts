import { jsonByteLength, MAX_PUSH_OPS } from "@syncline/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { takeBatch } from "./batch.js";
import { localOp } from "./conformance/index.js";
import type { PendingOp } from "./store.js";

const queued = (n: number, valueBytes = 1): PendingOp => ({
  op: { ...localOp(n), value: "x".repeat(valueBytes) },
  attempts: 0,
  lastError: null,
});

describe("takeBatch (push batches bounded by MAX_PUSH_OPS and by body bytes)", () => {
  it("takes at most MAX_PUSH_OPS ops", () => {
    const queue = Array.from({ length: MAX_PUSH_OPS + 5 }, (_, i) => queued(i + 1));
    expect(takeBatch(queue, Number.MAX_SAFE_INTEGER)).toHaveLength(MAX_PUSH_OPS);
    expect(takeBatch(queue, 7)).toHaveLength(7);
  });

  it("keeps the JSON body within the byte budget, in queue order, never empty (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 100, max: 40_000 }),
        (sizes, maxBytes) => {
          const queue = sizes.map((size, i) => queued(i + 1, size));
          const batch = takeBatch(queue, 1000, maxBytes);
          expect(batch).toEqual(queue.slice(0, batch.length));
          expect(batch.length).toBeGreaterThanOrEqual(1);
          const body = jsonByteLength({ ops: batch.map((p) => p.op) });
          if (batch.length > 1) expect(body).toBeLessThanOrEqual(maxBytes);
          if (batch.length < queue.length) {
            const bigger = jsonByteLength({
              ops: queue.slice(0, batch.length + 1).map((p) => p.op),
            });
            expect(bigger).toBeGreaterThan(maxBytes);
          }
        },
      ),
    );
  });
});
