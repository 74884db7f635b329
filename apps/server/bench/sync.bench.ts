/**
 * Server benchmark (`pnpm bench`): push throughput over HTTP beside the same
 * pushes straight into PgSyncStore in the same run (the ratio is the HTTP
 * adapter's cost), and push-to-other-device WebSocket latency with 100
 * connected devices of one user.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpTransport, createSyncClient } from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import { migratePgStore, PgSyncStore } from "@syncline/pg-store";
import { ACCESS_TOKEN_PARAM, OPS_PATH, type Op, WS_PATH } from "@syncline/protocol";
import pg from "pg";
import pino from "pino";
import WebSocket from "ws";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server.js";
import { loadSigningKey } from "../src/signing-key.js";

const TOTAL = Number(process.env.BENCH_OPS ?? 100_000);
const BATCH = 500;
const DEVICES = 100;
const PUSHES = 200;

function batches(): Op[][] {
  let lamport = 0;
  return Array.from({ length: TOTAL / BATCH }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => ({
      operation_id: randomUUID(),
      lamport_ts: ++lamport,
      entity_type: "track",
      entity_id: `t${(b * BATCH + i) % 5000}`,
      op: "upsert" as const,
      field: "rating",
      value: i % 5,
    })),
  );
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const given = process.env.DATABASE_URL;
const embedded = given ? undefined : await startEmbeddedPostgres();
const url = given ?? embedded!.url;
const dataDir = await mkdtemp(join(tmpdir(), "syncline-bench-"));
const pool = new pg.Pool({ connectionString: url });
await migratePgStore(pool);
const store = new PgSyncStore({ pool });
const server = await startServer(
  loadConfig({
    DATABASE_URL: url,
    PORT: "0",
    SYNCLINE_DATA_DIR: dataDir,
    SYNCLINE_COMPACTION_AT: "off",
  }),
  pino({ level: "silent" }),
);
const key = await loadSigningKey(dataDir);

try {
  // 1. Direct store pushes (baseline) vs the same pushes over HTTP.
  const directBatches = batches();
  const directUser = randomUUID();
  const directDevice = randomUUID();
  let started = performance.now();
  for (const ops of directBatches) await store.push(directUser, directDevice, ops);
  const directRate = TOTAL / ((performance.now() - started) / 1000);

  const httpBatches = batches();
  const token = await key.sign({ userId: randomUUID(), deviceId: randomUUID(), ttlSeconds: 3600 });
  started = performance.now();
  for (const ops of httpBatches) {
    const response = await fetch(`${server.url}${OPS_PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ ops }),
    });
    if (response.status !== 200) throw new Error(`push failed: ${response.status}`);
    await response.arrayBuffer();
  }
  const httpRate = TOTAL / ((performance.now() - started) / 1000);
  console.log(`push ${TOTAL} ops in batches of ${BATCH}`);
  console.log(`  PgSyncStore.push (baseline): ${Math.round(directRate)} ops/s`);
  console.log(
    `  HTTP POST /sync/ops:         ${Math.round(httpRate)} ops/s (${(httpRate / directRate).toFixed(2)}x of the store)`,
  );

  // 2. Fan-out latency: one pusher, 100 other devices of the user on WebSockets.
  const userId = randomUUID();
  const pusherToken = await key.sign({ userId, deviceId: randomUUID(), ttlSeconds: 3600 });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  const sockets = await Promise.all(
    Array.from({ length: DEVICES }, async () => {
      const deviceToken = await key.sign({ userId, deviceId: randomUUID(), ttlSeconds: 3600 });
      const ws = new WebSocket(
        `${server.url.replace("http", "ws")}${WS_PATH}?${ACCESS_TOKEN_PARAM}=${deviceToken}`,
      );
      ws.on("message", (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type !== "ops") return;
        for (const op of frame.ops) {
          latencies.push(performance.now() - sentAt.get(op.operation_id)!);
          received++;
        }
      });
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      return ws;
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < PUSHES; i++) {
    const op: Op = {
      operation_id: randomUUID(),
      lamport_ts: i + 1,
      entity_type: "playlist",
      entity_id: "p1",
      op: "upsert",
      field: "title",
      value: `v${i}`,
    };
    const expected = (i + 1) * DEVICES;
    sentAt.set(op.operation_id, performance.now());
    const response = await fetch(`${server.url}${OPS_PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${pusherToken}`, "content-type": "application/json" },
      body: JSON.stringify({ ops: [op] }),
    });
    await response.arrayBuffer();
    while (received < expected) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `fan-out to ${DEVICES} devices of one user, ${PUSHES} pushes (push sent → frame received)`,
  );
  console.log(
    `  median ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
  );
  for (const ws of sockets) ws.close();

  // 3. End to end: an edit on one SQLite client until it is applied on another.
  const editUser = randomUUID();
  const editToken = await key.sign({ userId: editUser, ttlSeconds: 3600 });
  const appliedAt = new Map<string, number>();
  const stores = [0, 1].map((i) => new SqliteClientStore(join(dataDir, `client-${i}.db`)));
  const [editor, viewer] = stores.map((store) =>
    createSyncClient({
      store,
      transport: createHttpTransport({ url: server.url }),
      token: editToken,
      onApply: (_db, batch) => {
        for (const op of batch.ops) appliedAt.set(op.operation_id, performance.now());
      },
    }),
  ) as [ReturnType<typeof createSyncClient>, ReturnType<typeof createSyncClient>];
  editor.start();
  viewer.start();
  while (editor.status.state !== "synced" || viewer.status.state !== "synced") {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const e2e: number[] = [];
  for (let i = 0; i < PUSHES; i++) {
    const started = performance.now();
    const edit = editor.mutate((tx) => tx.upsert("playlist", "p1", "title", `edit ${i}`));
    const id = edit.ops[0]!.operation_id;
    while (!appliedAt.has(id)) await new Promise((resolve) => setTimeout(resolve, 1));
    e2e.push(appliedAt.get(id)! - started);
  }
  e2e.sort((a, b) => a - b);
  console.log(`edit on one SQLite client → applied on another, ${PUSHES} edits`);
  console.log(
    `  median ${quantile(e2e, 0.5).toFixed(1)} ms, p99 ${quantile(e2e, 0.99).toFixed(1)} ms, max ${e2e.at(-1)!.toFixed(1)} ms`,
  );
  await editor.stop();
  await viewer.stop();
  for (const store of stores) store.close();
} finally {
  await server.stop();
  await store.close();
  await pool.end();
  await embedded?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
