import { describe, expect, it } from "vitest";
import { simulate } from "./run.js";

describe("deterministic simulation over MemorySyncStore (the real engine and routes, seeded faults)", () => {
  it("R18, R46, R51, R62, R63, R68: every schedule converges, loses nothing, duplicates nothing, keeps cursors safe", async () => {
    const report = await simulate({ runs: 300, seed: 20261202 });
    expect(report.runs).toBe(300);
  }, 240_000);
});
