import { describeSyncStoreConformance } from "@syncline/server-core/conformance";
import { createTestDatabase } from "@syncline/testkit";
import pg from "pg";
import { migratePgStore } from "./migrate.js";
import { PgSyncStore } from "./store.js";

// The SyncStore conformance suite (R3, R4, R9, R13–R20, R22–R27, R40, R44, R47,
// R56–R59, R61, R62, R68) on PostgreSQL: each concern gets its own fresh,
// migrated database.
describeSyncStoreConformance("PgSyncStore", async () => {
  const { url } = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  await migratePgStore(pool);
  const store = new PgSyncStore({ pool });
  return {
    store,
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
});
