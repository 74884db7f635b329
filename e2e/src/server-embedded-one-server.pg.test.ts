import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testDevice } from "./testing/device.js";
import { type ServerProcess, startServerProcess } from "./testing/server-process.js";

// The embedded PostgreSQL belongs to one `serve` at a time: several instances
// need a shared PostgreSQL (DATABASE_URL), which multi-instance.pg.test.ts covers.
let dataDir: string;
let env: Record<string, string>;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "syncline-one-server-"));
  // As root, the embedded server runs as "postgres", which must be able to enter the data dir.
  await chmod(dataDir, 0o755);
  env = { DATABASE_URL: "", SYNCLINE_DATA_DIR: dataDir };
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill("SIGKILL")));
  await stopOrphanedPostmaster();
  await rm(dataDir, { recursive: true, force: true });
});

/** Stops a postmaster whose server was killed alone (it outlives it), and waits until it is done. */
async function stopOrphanedPostmaster(): Promise<void> {
  const pidFile = join(dataDir, "postgres", "pgdata", "postmaster.pid");
  const text = await readFile(pidFile, "utf8").catch(() => undefined);
  if (text === undefined) return;
  try {
    process.kill(Number(text.split("\n")[0]), "SIGINT");
  } catch {
    return; // no postmaster runs
  }
  // A postmaster removes its postmaster.pid as the last step of its shutdown.
  while (
    await readFile(pidFile).then(
      () => true,
      () => false,
    )
  )
    await sleep(50);
}

it("R70: refuses a second serve on an embedded data dir with exit code 2, keeps the first serving, and frees the data dir when the first dies", async () => {
  const first = await startServerProcess(env);
  servers.push(first);
  const device = await testDevice(env);
  const [kept] = await device.push(first.url, [device.op("p1", "title", "kept")]);

  const refusal = await startServerProcess(env).then(
    (second) => {
      servers.push(second);
      return "the second server serves";
    },
    (error: Error) => error.message,
  );
  expect(refusal).toContain("server exited (code 2, signal null)");
  expect(refusal).toContain(`SYNCLINE_DATA_DIR ${dataDir} is in use`);
  expect(refusal).toContain(`pid ${first.child.pid}`);
  expect(refusal).toContain("DATABASE_URL");

  // The refused server left the first one's database alone.
  expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  const [after] = await device.push(first.url, [device.op("p1", "color", "red")]);

  // SIGKILL the first server alone: its PostgreSQL outlives it, its claim on the data dir does not.
  expect(await first.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
  const third = await startServerProcess(env);
  servers.push(third);
  const page = await device.pullOk(third.url, 0);
  expect(page.ops.map((op) => op.id)).toEqual([kept!.id, after!.id]);
  expect(await third.kill("SIGTERM")).toEqual({ code: 0, signal: null });
});
