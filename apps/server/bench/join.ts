/**
 * A new device joining a user with a long history: the time until its
 * SQLite store holds the current state, and the bytes each way, by snapshot
 * (R72–R74) against replaying the whole log from 0 (what a client does with
 * a server that has no snapshot route), interleaved on one log.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpTransport, createSyncClient } from "@syncline/client";
import { SqliteClientStore } from "@syncline/client-sqlite";
import { MAX_PULL_LIMIT, MAX_SNAPSHOT_LIMIT, SNAPSHOT_PATH } from "@syncline/protocol";
import type { BenchServer } from "./bench-server.js";
import { loadHistory } from "./history.js";
import { interleave, median, report, SCALE, sleep } from "./measure.js";

/** Bytes that crossed the wire, as the client's `fetch` saw them (request line, headers, bodies). */
interface Traffic {
  sent: number;
  received: number;
}

const encoder = new TextEncoder();

function headerBytes(headers: Headers): number {
  let bytes = 0;
  for (const [name, value] of headers) bytes += encoder.encode(`${name}: ${value}\r\n`).byteLength;
  return bytes;
}

/**
 * A `fetch` that counts the bytes of every request and response; with
 * `withoutSnapshot`, it answers `/sync/snapshot` as a server without the
 * route does (404 `not_found`), so the client replays the log instead.
 */
function countingFetch(traffic: Traffic, withoutSnapshot: boolean): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    if (withoutSnapshot && new URL(request.url).pathname.endsWith(SNAPSHOT_PATH)) {
      return Response.json({ type: "not_found", message: "no such route" }, { status: 404 });
    }
    const body = await request.arrayBuffer();
    traffic.sent +=
      encoder.encode(`${request.method} ${request.url} HTTP/1.1\r\n`).byteLength +
      headerBytes(request.headers) +
      body.byteLength;
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(body.byteLength > 0 ? { body } : {}),
    });
    const answer = await response.arrayBuffer();
    traffic.received += headerBytes(response.headers) + answer.byteLength;
    return new Response(answer, { status: response.status, headers: response.headers });
  };
}

interface Join {
  seconds: number;
  traffic: Traffic;
}

/** A new device until its store holds the current state (`synced`), counted. */
async function joinOnce(
  server: BenchServer,
  token: string,
  fields: number,
  withoutSnapshot: boolean,
): Promise<Join> {
  const dir = await mkdtemp(join(tmpdir(), "syncline-join-"));
  const store = new SqliteClientStore(join(dir, "device.db"));
  const traffic: Traffic = { sent: 0, received: 0 };
  const client = createSyncClient({
    store,
    transport: createHttpTransport({
      url: server.url,
      fetch: countingFetch(traffic, withoutSnapshot),
    }),
    token,
    pullLimit: MAX_PULL_LIMIT,
    snapshotLimit: MAX_SNAPSHOT_LIMIT,
  });
  try {
    const started = performance.now();
    client.start();
    while (client.status.state !== "synced") {
      if (client.status.state === "error") throw new Error(client.status.lastError?.message);
      await sleep(5);
    }
    const seconds = (performance.now() - started) / 1000;
    const held = store.transaction((tx) => Object.keys(tx.entities("track")).length);
    if (held !== fields / 5) throw new Error(`the device holds ${held} of ${fields / 5} entities`);
    return { seconds, traffic };
  } finally {
    await client.stop();
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;

/** Snapshot against replay, one log of 1M ops over 50,000 live fields (scaled). */
export async function benchJoin(server: BenchServer): Promise<void> {
  const total = Math.round(1_000_000 * SCALE);
  const fields = Math.max(5, Math.round((50_000 * SCALE) / 5) * 5);
  const userId = randomUUID();
  await loadHistory(server, userId, total, fields);
  const token = await server.token(userId, null);
  console.log(`join: a new device of a user with ${total} ops over ${fields} live fields`);
  const rounds = await interleave(
    () => joinOnce(server, token, fields, false),
    () => joinOnce(server, token, fields, true),
  );
  const snapshot = median(rounds.syncline.map((r) => r.seconds));
  const replay = median(rounds.raw.map((r) => r.seconds));
  report({
    path: `new device joins ${total / 1e6}M ops / ${fields / 1000}k fields: time to current state (s)`,
    syncline: `snapshot ${snapshot.toFixed(2)} s`,
    raw: `replay from 0 ${replay.toFixed(2)} s`,
    ratio: `${(replay / snapshot).toFixed(1)}× faster`,
  });
  const bytes = (runs: Join[], side: keyof Traffic) => median(runs.map((r) => r.traffic[side]));
  report({
    path: "new device joins: bytes received / sent",
    syncline: `snapshot ${mb(bytes(rounds.syncline, "received"))} / ${mb(bytes(rounds.syncline, "sent"))}`,
    raw: `replay ${mb(bytes(rounds.raw, "received"))} / ${mb(bytes(rounds.raw, "sent"))}`,
    ratio: `${(bytes(rounds.raw, "received") / bytes(rounds.syncline, "received")).toFixed(1)}× fewer`,
  });
}
