import { createTestDatabase } from "@syncline/testkit";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isoWallClock } from "./rows.js";

let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: (await createTestDatabase()).url, max: 2 });
});
afterAll(() => pool.end());

/** `ms` rounded down to a multiple of `unit` (before 1970 too, where `%` is negative). */
const floorTo = (ms: number, unit: number) => ms - (((ms % unit) + unit) % unit);

/** An instant in years 1–9999 with microseconds, as PostgreSQL's input text (UTC). */
const instant = fc
  .record({
    ms: fc.integer({
      min: Date.parse("0001-01-01T00:00:00.000Z"),
      max: Date.parse("9999-12-31T23:59:59.999Z"),
    }),
    // Microseconds past the millisecond, weighted to the ends where rounding or trimming shows.
    micros: fc.oneof(fc.constantFrom(0, 1, 999), fc.integer({ min: 0, max: 999 })),
    // Whole seconds and whole tens of milliseconds, which `to_json` prints with fewer fraction digits.
    cut: fc.constantFrom("none", "second", "ten-ms"),
  })
  .map(({ ms, micros, cut }) => {
    const at = cut === "second" ? floorTo(ms, 1000) : cut === "ten-ms" ? floorTo(ms, 10) : ms;
    const micro = cut === "none" ? micros : 0;
    const iso = new Date(at).toISOString();
    return { input: `${iso.slice(0, 23)}${String(micro).padStart(3, "0")}Z`, expected: iso };
  });

// R3 (wall_clock): a stored op's wall clock is ISO-8601 in UTC with milliseconds.
describe("isoWallClock", () => {
  it("prints what Date#toISOString prints, and what to_char did, in any session's TimeZone and DateStyle (property)", async () => {
    const client = await pool.connect();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(instant, { minLength: 1, maxLength: 200 }),
          fc.constantFrom("UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"),
          fc.constantFrom("ISO, MDY", "SQL, DMY", "German", "Postgres, YMD"),
          async (instants, timeZone, dateStyle) => {
            await client.query(`SET TimeZone = '${timeZone}'`);
            await client.query(`SET DateStyle = '${dateStyle}'`);
            const { rows } = await client.query<{ iso: string; to_char: string }>(
              `SELECT ${isoWallClock("t")} AS iso,
                to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS to_char
              FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(t, n) ORDER BY n`,
              [instants.map(({ input }) => input)],
            );
            expect(rows.map((row) => row.iso)).toEqual(instants.map(({ expected }) => expected));
            expect(rows.map((row) => row.to_char)).toEqual(
              instants.map(({ expected }) => expected),
            );
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      client.release();
    }
  });
});
