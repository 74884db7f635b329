import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startEmbeddedPostgres } from "./start.js";

it.runIf(userInfo().uid === 0)(
  "as root, names a data directory the postgres user cannot reach instead of failing in initdb",
  async () => {
    const hidden = await mkdtemp(join(tmpdir(), "syncline-hidden-")); // mode 0700
    try {
      await expect(startEmbeddedPostgres({ dataDir: join(hidden, "data") })).rejects.toThrow(
        `cannot enter ${hidden} (mode 700)`,
      );
    } finally {
      await rm(hidden, { recursive: true, force: true });
    }
  },
);
