import { protocolExampleLog } from "@syncline/server-core/conformance";
import { beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore, uuid } from "./test-support.js";

let db: TestStore;
beforeAll(async () => {
  db = await openTestStore();
});

const NOW = new Date("2030-01-01T00:00:00Z");

// The compaction rules themselves are in @syncline/server-core/conformance;
// this file checks what only the tables show.
describe("compaction: the watermark row", () => {
  it("R60 (atomic compaction): records compacted_up_to = MIN with updated_at = the run's now", async () => {
    const [user, device, reader] = [uuid(), uuid(), uuid()];
    const pushed = await db.store.push(user, device, protocolExampleLog());
    const titleD = pushed.at(-1)!.id;
    await db.store.ack(user, reader, titleD - 1, NOW);
    await db.store.compactUser(user, { now: NOW });
    const { rows } = await db.pool.query(
      "SELECT compacted_up_to, updated_at FROM sync_compaction_watermark WHERE user_id = $1",
      [user],
    );
    expect(rows).toEqual([{ compacted_up_to: String(titleD - 1), updated_at: NOW }]);
  });
});
