import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testDevice } from "./testing/device.js";
import { type ServerProcess, startServerProcess } from "./testing/server-process.js";

// The default deployment (embedded PostgreSQL in the data dir) after a crash:
// whatever `postmaster.pid` the crash left behind, `serve` comes back the first time.
let dataDir: string;
let env: Record<string, string>;
let device: Awaited<ReturnType<typeof testDevice>>;
/** Every value pushed so far, in push order: each restart must still serve them all. */
const pushed: string[] = [];
const servers: ServerProcess[] = [];
const bystanders: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "syncline-restart-"));
  // As root, the embedded server runs as "postgres", which must be able to enter the data dir.
  await chmod(dataDir, 0o755);
  env = { DATABASE_URL: "", SYNCLINE_DATA_DIR: dataDir };
  device = await testDevice(env);
});
afterAll(async () => {
  for (const bystander of bystanders) bystander.kill("SIGKILL");
  await Promise.all(servers.map((server) => server.kill("SIGKILL")));
  await rm(dataDir, { recursive: true, force: true });
});

function postmasterPidFile(): string {
  return join(dataDir, "postgres", "pgdata", "postmaster.pid");
}

/** Starts `serve`, checks it serves everything pushed so far, and pushes one more value. */
async function serveAndPush(options: { processGroup?: boolean } = {}): Promise<ServerProcess> {
  const server = await startServerProcess(env, options);
  servers.push(server);
  const page = await device.pullOk(server.url, 0);
  expect(page.ops.map((op) => op.value)).toEqual(pushed);
  const value = `v${pushed.length}`;
  await device.push(server.url, [device.op("p1", `f${pushed.length}`, value)]);
  pushed.push(value);
  return server;
}

/**
 * Leaves the data dir as a crash would, with `postmaster.pid` naming `pid`:
 * runs a server, copies its real `postmaster.pid`, stops it, and puts the
 * copy back with the first line (the postmaster's pid) replaced.
 */
async function leaveStalePostmasterPid(pid: number): Promise<void> {
  const server = await serveAndPush();
  const lines = (await readFile(postmasterPidFile(), "utf8")).split("\n");
  expect(await server.kill("SIGTERM")).toEqual({ code: 0, signal: null });
  lines[0] = String(pid);
  await writeFile(postmasterPidFile(), lines.join("\n"));
}

/** A process that lives until the file ends, killed afterwards. */
function bystander(command: string): ChildProcess {
  const child = spawn("sh", ["-c", command], { stdio: "ignore" });
  bystanders.push(child);
  return child;
}

/** The pid of a zombie: a child that exited and whose parent never waits for it. */
async function zombiePid(): Promise<number> {
  // `sleep 0` exits at once; its parent, the exec'd `sleep 30`, never reaps it.
  const parent = bystander("sleep 0 & exec sleep 30");
  for (let attempt = 0; attempt < 100; attempt++) {
    const children = await readFile(`/proc/${parent.pid}/task/${parent.pid}/children`, "utf8");
    const [child] = children.trim().split(" ").filter(Boolean).map(Number);
    if (child !== undefined) {
      const stat = await readFile(`/proc/${child}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return child;
    }
    await sleep(20);
  }
  throw new Error("no zombie appeared");
}

it("R69: comes back the first time after its process group (server and postmaster) is killed with SIGKILL, cycle after cycle", async () => {
  for (let cycle = 0; cycle < 5; cycle++) {
    const server = await serveAndPush({ processGroup: true });
    expect(await server.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
  }
  const last = await serveAndPush();
  expect(await last.kill("SIGTERM")).toEqual({ code: 0, signal: null });
});

it("R69: comes back after a SIGKILL of its process group while a backend of the killed cluster still runs a query", async () => {
  const server = await serveAndPush({ processGroup: true });
  const [, , , port] = (await readFile(postmasterPidFile(), "utf8")).split("\n");
  // A backend busy computing does not notice its postmaster's death until the
  // statement ends (here after 5 s); until then it holds the cluster's shared memory.
  const busy = new pg.Client({
    connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/syncline`,
  });
  busy.on("error", () => {});
  await busy.connect();
  await busy.query("SET statement_timeout = '5s'");
  const query = busy.query("DO $$ BEGIN LOOP END LOOP; END $$").catch(() => "ended");
  await sleep(200);
  expect(await server.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
  const restarted = await serveAndPush();
  expect(await query).toBe("ended");
  expect(await restarted.kill("SIGTERM")).toEqual({ code: 0, signal: null });
});

it("R69: starts when postmaster.pid names a live process that is not this cluster's postmaster (a reused pid)", async () => {
  const other = bystander("exec sleep 30");
  await leaveStalePostmasterPid(other.pid as number);
  const server = await serveAndPush();
  expect(other.exitCode).toBeNull(); // the other process is left alone
  expect(await server.kill("SIGTERM")).toEqual({ code: 0, signal: null });
});

it("R69: starts when postmaster.pid names a zombie (a postmaster killed but not yet reaped)", async () => {
  await leaveStalePostmasterPid(await zombiePid());
  const server = await serveAndPush();
  expect(await server.kill("SIGTERM")).toEqual({ code: 0, signal: null });
});
