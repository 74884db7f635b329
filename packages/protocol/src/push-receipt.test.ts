import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Op } from "./op.js";
import { type PushedOp, PushRequestSchema, PushResponseSchema } from "./push.js";
import { opsOfPushReceipt, PushReceiptSchema, pushReceiptOf } from "./push-receipt.js";

const DEVICE = "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b";
const NOW = "2026-12-03T10:00:00.000Z";
const EARLIER = "2026-11-25T08:00:00.000Z";

const upsert = (lamport_ts: number, value: unknown = lamport_ts): Op => ({
  operation_id: `00000000-0000-4000-8000-${String(lamport_ts).padStart(12, "0")}`,
  lamport_ts,
  entity_type: "track",
  entity_id: "t1",
  op: "upsert",
  field: "rating",
  value: value as Op["value"],
});

/** What a store answers for `sent`: new ops stored now, duplicates as first stored. */
function storedFor(
  sent: readonly Op[],
  duplicates: ReadonlyMap<number, { lamport_ts: number; id: number }>,
): PushedOp[] {
  return sent.map((op, index) => {
    const duplicate = duplicates.get(index);
    return {
      ...op,
      id: duplicate?.id ?? 1000 + index,
      device_id: DEVICE,
      lamport_ts: duplicate?.lamport_ts ?? op.lamport_ts,
      wall_clock: duplicate ? EARLIER : NOW,
      duplicate: duplicate !== undefined,
    };
  });
}

describe("R76 (push receipt): the answer without what the device sent", () => {
  it("R76: a receipt lists every id in request order, the push's clock and each duplicate as first stored", () => {
    const sent = [upsert(5), upsert(6), upsert(7)];
    const stored = storedFor(sent, new Map([[1, { lamport_ts: 2, id: 40 }]]));
    const receipt = pushReceiptOf(sent, stored);
    expect(receipt).toEqual({
      ids: [1000, 40, 1002],
      wall_clock: NOW,
      duplicates: [{ index: 1, lamport_ts: 2, wall_clock: EARLIER }],
    });
    expect(PushReceiptSchema.parse(receipt)).toEqual(receipt);
    expect(opsOfPushReceipt(sent, DEVICE, receipt!)).toEqual(stored);
  });

  it("R76: a batch of duplicates only still has a receipt, its clock the first duplicate's", () => {
    const sent = [upsert(5), upsert(6)];
    const stored = storedFor(
      sent,
      new Map([
        [0, { lamport_ts: 1, id: 7 }],
        [1, { lamport_ts: 2, id: 8 }],
      ]),
    );
    const receipt = pushReceiptOf(sent, stored)!;
    expect(receipt.wall_clock).toBe(EARLIER);
    expect(opsOfPushReceipt(sent, DEVICE, receipt)).toEqual(stored);
  });

  it("R76: a store answer a receipt cannot say exactly gets none (the server answers the rows)", () => {
    const sent = [upsert(5), upsert(6)];
    const stored = storedFor(sent, new Map());
    expect(pushReceiptOf(sent, [stored[0]!, { ...stored[1]!, wall_clock: EARLIER }])).toBe(
      undefined,
    );
    expect(pushReceiptOf(sent, [stored[0]!, { ...stored[1]!, lamport_ts: 9 }])).toBe(undefined);
    expect(pushReceiptOf(sent, stored.slice(1))).toBe(undefined);
  });

  it("R76: a receipt that does not fit the batch expands to nothing", () => {
    const sent = [upsert(5), upsert(6)];
    const receipt = pushReceiptOf(sent, storedFor(sent, new Map()))!;
    expect(opsOfPushReceipt(sent.slice(1), DEVICE, receipt)).toBe(undefined);
    const duplicate = { index: 2, lamport_ts: 1, wall_clock: EARLIER };
    expect(opsOfPushReceipt(sent, DEVICE, { ...receipt, duplicates: [duplicate] })).toBe(undefined);
    const twice = [
      { ...duplicate, index: 0 },
      { ...duplicate, index: 0 },
    ];
    expect(opsOfPushReceipt(sent, DEVICE, { ...receipt, duplicates: twice })).toBe(undefined);
  });

  it("R76: expanding the receipt gives back exactly the rows it was made from (property)", () => {
    const batch = fc
      .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 40 })
      .map((stamps) => stamps.sort((a, b) => a - b));
    fc.assert(
      fc.property(
        batch,
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        (stamps, isDuplicate, value) => {
          const sent = stamps.map((stamp) => upsert(stamp, value));
          const duplicates = new Map(
            stamps.flatMap((_, index) =>
              isDuplicate[index]
                ? [[index, { lamport_ts: index + 1, id: index + 1 }] as const]
                : [],
            ),
          );
          const stored = storedFor(sent, duplicates);
          const receipt = pushReceiptOf(sent, stored);
          expect(receipt).toBeDefined();
          expect(receipt!.duplicates.map((entry) => entry.index)).toEqual([...duplicates.keys()]);
          expect(opsOfPushReceipt(sent, DEVICE, PushReceiptSchema.parse(receipt))).toEqual(
            PushResponseSchema.parse({ ops: stored }).ops,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('R76: a push may ask for "ops" or "receipt", nothing else', () => {
    const ops = [upsert(1)];
    expect(PushRequestSchema.parse({ ops, answer: "receipt" }).answer).toBe("receipt");
    expect(PushRequestSchema.parse({ ops }).answer).toBe(undefined);
    const refused = PushRequestSchema.safeParse({ ops, answer: "rows" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(["answer"]);
  });
});
