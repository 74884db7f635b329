import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_LAMPORT_TS, MAX_VALUE_BYTES, MAX_VALUE_DEPTH } from "./limits.js";
import { OpSchema } from "./op.js";

const upsert = {
  operation_id: "0190f5e2-7c1a-7d3e-9b1a-2f4c6d8e0a1b",
  lamport_ts: 1,
  entity_type: "playlist",
  entity_id: "p1",
  op: "upsert",
  field: "title",
  value: "Road trip",
};
const remove = { ...upsert, op: "delete", field: null, value: null };

function messages(input: unknown): string[] {
  const result = OpSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("OpSchema", () => {
  it("accepts an upsert with any JSON value, null included", () => {
    for (const value of ["x", 1.5, true, null, [1, "a"], { nested: { deep: [null] } }]) {
      expect(OpSchema.parse({ ...upsert, value })).toEqual({ ...upsert, value });
    }
  });

  it("accepts a delete with null field and value", () => {
    expect(OpSchema.parse(remove)).toEqual(remove);
  });

  it("rejects a delete that carries a field or value", () => {
    expect(messages({ ...remove, field: "title" })).toEqual(["field: must be null for a delete"]);
    expect(messages({ ...remove, value: 1 })).toEqual(["value: must be null for a delete"]);
  });

  it("rejects an upsert without a field", () => {
    expect(messages({ ...upsert, field: null })[0]).toMatch(/^field: /);
    expect(messages({ ...upsert, field: "" })[0]).toMatch(/^field: .*>=1 characters/);
  });

  it("rejects an unknown op kind with a readable message", () => {
    expect(messages({ ...upsert, op: "patch" })).toEqual(['op: op must be "upsert" or "delete"']);
  });

  it("requires a UUID operation_id", () => {
    expect(messages({ ...upsert, operation_id: "abc" })).toEqual(["operation_id: must be a UUID"]);
  });

  it("R43 (lamport limit): bounds lamport_ts to integers in 1..2^52", () => {
    expect(MAX_LAMPORT_TS).toBe(2 ** 52);
    expect(messages({ ...upsert, lamport_ts: 0 })).toEqual(["lamport_ts: must be at least 1"]);
    expect(messages({ ...upsert, lamport_ts: 1.5 })).toEqual(["lamport_ts: must be an integer"]);
    expect(messages({ ...upsert, lamport_ts: MAX_LAMPORT_TS })).toEqual([]);
    expect(messages({ ...upsert, lamport_ts: MAX_LAMPORT_TS + 1 })).toEqual([
      `lamport_ts: must be at most ${MAX_LAMPORT_TS}`,
    ]);
    expect(messages({ ...upsert, lamport_ts: Number.MAX_SAFE_INTEGER - 1 })[0]).toMatch(
      /^lamport_ts: must be at most/,
    );
    expect(messages({ ...upsert, lamport_ts: 2 ** 63 })[0]).toMatch(/^lamport_ts: /);
    expect(messages({ ...upsert, lamport_ts: "5" })).toEqual(["lamport_ts: must be a number"]);
  });

  it("bounds entity_type, entity_id and field lengths", () => {
    expect(messages({ ...upsert, entity_type: "t".repeat(64) })).toEqual([]);
    expect(messages({ ...upsert, entity_type: "t".repeat(65) })[0]).toMatch(/^entity_type: /);
    expect(messages({ ...upsert, entity_id: "i".repeat(256) })).toEqual([]);
    expect(messages({ ...upsert, entity_id: "i".repeat(257) })[0]).toMatch(/^entity_id: /);
    expect(messages({ ...upsert, entity_id: "" })[0]).toMatch(/^entity_id: /);
    expect(messages({ ...upsert, field: "f".repeat(65) })[0]).toMatch(/^field: /);
  });

  it("caps value at 64 KiB of UTF-8 JSON", () => {
    // JSON.stringify adds two quote characters around a string.
    const fits = "a".repeat(MAX_VALUE_BYTES - 2);
    expect(messages({ ...upsert, value: fits })).toEqual([]);
    expect(messages({ ...upsert, value: `${fits}a` })).toEqual([
      `value: must serialize to at most ${MAX_VALUE_BYTES} bytes of JSON`,
    ]);
    // Multi-byte characters count by their UTF-8 size, not by length.
    const euros = "€".repeat(Math.floor((MAX_VALUE_BYTES - 2) / 3) + 1);
    expect(messages({ ...upsert, value: euros })).toHaveLength(1);
  });

  it("rejects U+0000 in names and values, which PostgreSQL cannot store", () => {
    expect(messages({ ...upsert, entity_id: "a\u0000b" })).toEqual([
      "entity_id: must not contain U+0000",
    ]);
    expect(messages({ ...upsert, field: "\u0000" })).toEqual(["field: must not contain U+0000"]);
    expect(messages({ ...upsert, value: { nested: ["ok", "bad\u0000"] } })).toEqual([
      "value: must not contain U+0000",
    ]);
    expect(messages({ ...upsert, value: { "key\u0000": 1 } })).toEqual([
      "value: must not contain U+0000",
    ]);
    // A backslash followed by "u0000" is ordinary text.
    expect(messages({ ...upsert, value: "\\u0000" })).toEqual([]);
  });

  it("R2 (valid Unicode): rejects a lone UTF-16 surrogate in names, values and keys", () => {
    const cut = "🎵".slice(0, 1); // an emoji cut in the middle
    const lone = "must not contain a lone UTF-16 surrogate";
    expect(messages({ ...upsert, entity_type: `a${cut}` })).toEqual([`entity_type: ${lone}`]);
    expect(messages({ ...upsert, entity_id: `${cut}` })).toEqual([`entity_id: ${lone}`]);
    expect(messages({ ...upsert, field: "\uDC00x" })).toEqual([`field: ${lone}`]);
    expect(messages({ ...upsert, value: ["ok", `song ${cut}`] })).toEqual([`value: ${lone}`]);
    expect(messages({ ...upsert, value: { [`k${cut}`]: 1 } })).toEqual([`value: ${lone}`]);
    // Whole surrogate pairs are ordinary text.
    expect(messages({ ...upsert, entity_id: "🎵", value: { "🎵": "🎵" } })).toEqual([]);
  });

  it("R2 (value depth): accepts values nested up to MAX_VALUE_DEPTH, refuses deeper ones without recursion", () => {
    const nest = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
      return value;
    };
    expect(messages({ ...upsert, value: nest(MAX_VALUE_DEPTH) })).toEqual([]);
    const deeper = `value: must not nest arrays and objects more than ${MAX_VALUE_DEPTH} deep`;
    expect(messages({ ...upsert, value: nest(MAX_VALUE_DEPTH + 1) })).toEqual([deeper]);
    // Far deeper than any stack: still a validation issue, never a RangeError.
    expect(messages({ ...upsert, value: nest(200_000) })).toEqual([deeper]);
  });

  it("R2: accepts every JSON value of valid text within the bounds, and returns it unchanged", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        const parsed = OpSchema.safeParse({ ...upsert, value });
        expect(parsed.success).toBe(true);
        expect(parsed.data?.op === "upsert" && parsed.data.value).toEqual(value);
      }),
    );
  });

  it("rejects values that are not JSON", () => {
    expect(messages({ ...upsert, value: undefined })[0]).toMatch(/^value: /);
    expect(messages({ ...upsert, value: Number.NaN })[0]).toMatch(/^value: /);
  });
});
