import { migratePgStore, PgSyncStore } from "@syncline/pg-store";
import { createTestDatabase } from "@syncline/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulate } from "./run.js";

let pool: pg.Pool;
const stores: PgSyncStore[] = [];
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: (await createTestDatabase()).url, max: 20 });
  await migratePgStore(pool);
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await pool.end();
});

describe("deterministic simulation over PgSyncStore (the same schedules, the real Postgres)", () => {
  it("R18, R62, R68: a few seeds behave as on the memory store", async () => {
    const report = await simulate({
      runs: 8,
      seed: 20261202,
      maxEvents: 25,
      store: () => {
        const store = new PgSyncStore({ pool });
        stores.push(store);
        return store;
      },
    });
    expect(report.runs).toBe(8);
  }, 240_000);
});
