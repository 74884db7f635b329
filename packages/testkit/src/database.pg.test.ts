import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "./index.js";

describe("createTestDatabase", () => {
  it("hands the file a fresh, reachable, empty database", async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; tables: string }>(
        "SELECT current_database() AS name, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables",
      );
      expect(rows[0]?.name).toBe(db.name);
      expect(Number(rows[0]?.tables)).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("gives two calls two different databases", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    expect(a.name).not.toBe(b.name);
  });
});
