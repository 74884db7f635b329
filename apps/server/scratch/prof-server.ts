import { fork } from "node:child_process";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import { OPS_PATH } from "@syncline/protocol";
import { loadSigningKey } from "../src/signing-key.js";
import { upserts } from "../bench/measure.js";
const embedded = await startEmbeddedPostgres();
const dataDir = await mkdtemp(join(tmpdir(), "prof-"));
const child = fork(new URL("./prof-child.ts", import.meta.url).pathname, [embedded.url, dataDir], {
  execArgv: ["--cpu-prof", "--cpu-prof-dir=/tmp/prof/server", "--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
const line = await new Promise<string>((r) => createInterface({ input: child.stdout! }).once("line", r));
const url = JSON.parse(line).url;
const key = await loadSigningKey(dataDir);
const token = await key.sign({ userId: randomUUID(), deviceId: randomUUID(), ttlSeconds: 3600 });
const ops = upserts(40000);
const t = performance.now();
for (let i = 0; i < ops.length; i += 500) {
  const r = await fetch(url + OPS_PATH, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ ops: ops.slice(i, i + 500) }) });
  await r.arrayBuffer();
}
console.log("ops/s", (40000 / ((performance.now() - t) / 1000)).toFixed(0));
child.send("exit");
await new Promise((r) => child.once("exit", r));
await embedded.stop();
