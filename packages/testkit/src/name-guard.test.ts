import { expect, it } from "vitest";
import { createTestDatabase } from "./index.js";

it("refuses a database to a test file not named *.pg.test.ts", async () => {
  await expect(createTestDatabase()).rejects.toThrow(/name it \*\.pg\.test\.ts/);
});
