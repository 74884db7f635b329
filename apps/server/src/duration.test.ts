import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads every unit", () => {
    expect(parseDuration("1500ms")).toBe(1500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
  });

  it("refuses what is not a duration", () => {
    for (const text of ["", "90", "d", "-1d", "1y", "1 d x", "1e3s"])
      expect(parseDuration(text)).toBeUndefined();
  });
});
