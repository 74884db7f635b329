/**
 * Memory per idle authenticated socket: 1,000 sockets held open on a server
 * in a child process, its heap and external memory (after a full GC) before
 * and after, beside a bare `ws` server in the same conditions.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ACCESS_TOKEN_PARAM, WS_PATH } from "@syncline/protocol";
import WebSocket from "ws";
import { loadSigningKey } from "../src/signing-key.js";
import type { BenchServer } from "./bench-server.js";
import { interleave, median, report, sleep } from "./measure.js";

const SOCKETS = 1000;

interface Child {
  url: string;
  memory(): Promise<NodeJS.MemoryUsage>;
  stop(): void;
}

async function startChild(args: string[]): Promise<Child> {
  const child: ChildProcess = fork(new URL("./idle-server.ts", import.meta.url).pathname, args, {
    execArgv: ["--expose-gc", "--import", "tsx"],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`idle server exited with ${code}`)));
  });
  return {
    url: (JSON.parse(line) as { url: string }).url,
    memory: () =>
      new Promise((resolve) => {
        child.once("message", (usage) => resolve(usage as NodeJS.MemoryUsage));
        child.send("measure");
      }),
    stop: () => child.kill("SIGKILL"),
  };
}

/** Bytes per socket: heap + external (after GC), and RSS, between 0 and `SOCKETS` sockets. */
async function perSocket(
  child: Child,
  url: () => Promise<string>,
): Promise<{ heap: number; rss: number }> {
  const warm = new WebSocket(await url());
  await new Promise((resolve) => warm.once("open", resolve));
  await sleep(300);
  const before = await child.memory();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < SOCKETS; i += 100) {
    const urls = await Promise.all(Array.from({ length: 100 }, url));
    sockets.push(
      ...(await Promise.all(
        urls.map(
          (socketUrl) =>
            new Promise<WebSocket>((resolve, reject) => {
              const ws = new WebSocket(socketUrl);
              ws.once("open", () => resolve(ws));
              ws.once("error", reject);
            }),
        ),
      )),
    );
  }
  await sleep(1000);
  const after = await child.memory();
  for (const ws of [warm, ...sockets]) ws.terminate();
  const used = (usage: NodeJS.MemoryUsage) => usage.heapUsed + usage.external;
  return {
    heap: (used(after) - used(before)) / SOCKETS,
    rss: (after.rss - before.rss) / SOCKETS,
  };
}

/** 1,000 idle sockets on Syncline (each with its own device token) and on bare `ws`. */
export async function benchIdleSockets(server: BenchServer): Promise<void> {
  console.log(`idle sockets: ${SOCKETS} on a server in a child process`);
  const dataDir = await mkdtemp(join(tmpdir(), "syncline-idle-"));
  try {
    const rounds = await interleave(
      async () => {
        const child = await startChild(["syncline", server.databaseUrl, dataDir]);
        try {
          const key = await loadSigningKey(dataDir);
          const userId = randomUUID();
          const base = `${child.url.replace("http", "ws")}${WS_PATH}?${ACCESS_TOKEN_PARAM}=`;
          return await perSocket(
            child,
            async () =>
              base + (await key.sign({ userId, deviceId: randomUUID(), ttlSeconds: 3600 })),
          );
        } finally {
          child.stop();
        }
      },
      async () => {
        const child = await startChild(["bare"]);
        try {
          const url = child.url.replace("http", "ws");
          return await perSocket(child, async () => url);
        } finally {
          child.stop();
        }
      },
    );
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    const a = median(rounds.syncline.map((r) => r.heap));
    const b = median(rounds.raw.map((r) => r.heap));
    report({
      path: `idle authenticated sockets, ${SOCKETS} (heap + external each)`,
      syncline: `${kb(a)} (RSS ${kb(median(rounds.syncline.map((r) => r.rss)))})`,
      raw: `bare ws ${kb(b)} (RSS ${kb(median(rounds.raw.map((r) => r.rss)))})`,
      ratio: (a / b).toFixed(2),
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
