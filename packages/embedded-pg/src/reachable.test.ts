import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { assertReachableByOthers } from "./reachable.js";

it("R71: names the first directory others cannot traverse and the fix, for any user", async () => {
  const outer = await mkdtemp(join(tmpdir(), "syncline-reach-")); // mode 0700
  try {
    const inner = join(outer, "open", "data");
    await mkdir(inner, { recursive: true });
    await chmod(join(outer, "open"), 0o755);
    await expect(
      assertReachableByOthers(inner, "its data directory", "choose another data directory"),
    ).rejects.toThrow(
      `cannot enter ${outer} (mode 700) to reach its data directory in ${inner}: ` +
        `make it traversable (chmod o+x ${outer}), or choose another data directory.`,
    );
    await chmod(outer, 0o711);
    await expect(
      assertReachableByOthers(inner, "its data directory", "choose another data directory"),
    ).resolves.toBeUndefined();
  } finally {
    await rm(outer, { recursive: true, force: true });
  }
});
