import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testDevice } from "./testing/device.js";
import { runCli, type ServerProcess, startServerProcess } from "./testing/server-process.js";

// The default deployment: no DATABASE_URL, an embedded PostgreSQL in the data dir.
let dataDir: string;
let env: Record<string, string>;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "syncline-embedded-"));
  // As root, the embedded server runs as "postgres", which must be able to enter the data dir.
  await chmod(dataDir, 0o755);
  env = { DATABASE_URL: "", SYNCLINE_DATA_DIR: dataDir };
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill("SIGKILL")));
  await rm(dataDir, { recursive: true, force: true });
});

function postgresProcessesFor(dir: string): number {
  const out = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return out.split("\n").filter((line) => line.includes("postgres") && line.includes(dir)).length;
}

it("keeps data across restarts, and migrate/compact use the running cluster", async () => {
  // With no server running, migrate starts the embedded cluster itself and stops it again.
  const alone = await runCli(["migrate"], env);
  expect(alone.code).toBe(0);
  expect(JSON.parse(alone.stdout).applied.length).toBeGreaterThan(0);
  expect(postgresProcessesFor(dataDir)).toBe(0);

  const first = await startServerProcess(env);
  servers.push(first);
  expect(first.logs.find((line) => line.msg === "listening")?.embeddedDatabase).toBe(true);
  const device = await testDevice(env);
  const [stored] = await device.push(first.url, [device.op("p1", "title", "kept")]);

  const migrated = await runCli(["migrate"], env);
  expect(migrated.code).toBe(0);
  expect(JSON.parse(migrated.stdout).applied).toEqual([]);
  const compacted = await runCli(["compact"], env);
  expect(compacted.code).toBe(0);
  // The CLI reached the server's own database: the server answered its flush request.
  expect(JSON.parse(compacted.stdout).flush).toEqual({ answered: 1, listening: 1 });

  expect(await first.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  expect(postgresProcessesFor(dataDir)).toBe(0);

  const second = await startServerProcess(env);
  servers.push(second);
  const page = await device.pullOk(second.url, 0);
  expect(page.ops.map((op) => [op.id, op.value])).toEqual([[stored!.id, "kept"]]);
  expect(await second.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  expect(postgresProcessesFor(dataDir)).toBe(0);
});
