/**
 * The desktop app's figures (`pnpm bench` in e2e): an edit made through one
 * app's local API until the other app's local API shows it (after the
 * server-sent event the window waits for), and a 10,000-track playlist: time
 * to open it and to reorder one track. Two app backends of one user on real
 * SQLite files, their local HTTP servers on loopback, a real server process
 * on an embedded PostgreSQL. No raw baseline: these are the figures a user feels.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DesktopApp,
  DesktopBackend,
  SECRET_HEADER,
  startDesktopApp,
} from "@syncline/desktop-client";
import { startEmbeddedPostgres } from "@syncline/embedded-pg";
import { userToken } from "../src/testing/clients.js";
import { startServerProcess } from "../src/testing/server-process.js";

const EDITS = Number(process.env.BENCH_EDITS ?? 200);
const TRACKS = Number(process.env.BENCH_TRACKS ?? 10_000);

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** Calls the app's local API as its window does (secret, own origin). */
async function call(app: DesktopApp, method: string, path: string, body?: unknown) {
  const request = () =>
    fetch(`${app.url.replace(/\/$/, "")}${path}`, {
      method,
      headers: {
        [SECRET_HEADER]: app.secret,
        origin: new URL(app.url).origin,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  // After a long pause (the fill) this client may reuse a keep-alive socket the
  // app's server has just closed (undici's known race, ECONNRESET): a GET is
  // safe to send again once.
  const response = await request().catch((error: Error) => {
    if (method !== "GET") throw error;
    return request();
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** Resolves each time the app's event stream says the playlists changed. */
function playlistEvents(app: DesktopApp): { next(): Promise<void>; close(): void } {
  const controller = new AbortController();
  let wake: (() => void) | undefined;
  let seen = 0;
  let taken = 0;
  (async () => {
    const response = await fetch(`${app.url.replace(/\/$/, "")}/api/events`, {
      headers: { [SECRET_HEADER]: app.secret },
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      const text = decoder.decode(chunk as Uint8Array);
      seen += text.split("event: playlists").length - 1;
      wake?.();
    }
  })().catch(() => {});
  return {
    async next() {
      while (seen <= taken) await new Promise<void>((resolve) => (wake = resolve));
      taken = seen;
    },
    close: () => controller.abort(),
  };
}

const cluster = await startEmbeddedPostgres();
const dir = await mkdtemp(join(tmpdir(), "syncline-desktop-bench-"));
const env = { DATABASE_URL: cluster.url, SYNCLINE_DATA_DIR: join(dir, "server") };
const server = await startServerProcess(env);
const backends: DesktopBackend[] = [];
const apps: DesktopApp[] = [];
try {
  const token = await userToken(env, randomUUID());
  for (const name of ["a", "b"]) {
    const dataDir = join(dir, name);
    const backend = await DesktopBackend.open(dataDir);
    await backend.updateConnection({ serverUrl: server.url, token });
    await backend.setMode("hybrid", () => {});
    backends.push(backend);
    apps.push(await startDesktopApp({ dataDir, backend, uiDir: join(dir, "no-ui") }));
  }
  const [a, b] = apps as [DesktopApp, DesktopApp];
  const playlist = (await call(a, "POST", "/api/playlists", { name: "Latency" })) as { id: string };
  const events = playlistEvents(b);
  const latencies: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const track = `edit ${i}`;
    const started = performance.now();
    await call(a, "POST", `/api/playlists/${playlist.id}/entries`, { track });
    for (;;) {
      await events.next();
      const shown = (await call(b, "GET", `/api/playlists/${playlist.id}`).catch(() => null)) as {
        entries: { track: string }[];
      } | null;
      if (shown?.entries.some((entry) => entry.track === track)) break;
    }
    latencies.push(performance.now() - started);
  }
  events.close();
  latencies.sort((x, y) => x - y);
  console.log(
    `edit in one app → shown by the other app's API, ${EDITS} edits: median ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
  );

  // A 10,000-track playlist on app a.
  const repository = backends[0]!.repository();
  const big = await repository.create("Ten thousand");
  const filled = performance.now();
  for (let i = 0; i < TRACKS; i++) await repository.addTrack(big.id, `track ${i}`);
  console.log(
    `${TRACKS} tracks added one by one: ${((performance.now() - filled) / 1000).toFixed(1)} s`,
  );
  const opens: number[] = [];
  const moves: number[] = [];
  for (let round = 0; round < 5; round++) {
    let started = performance.now();
    const shown = (await call(a, "GET", `/api/playlists/${big.id}`)) as {
      entries: { entryId: string }[];
    };
    opens.push(performance.now() - started);
    if (shown.entries.length !== TRACKS) throw new Error(`${shown.entries.length} entries`);
    started = performance.now();
    await call(a, "POST", `/api/playlists/${big.id}/entries/${shown.entries[0]!.entryId}/move`, {
      index: TRACKS / 2,
    });
    moves.push(performance.now() - started);
  }
  console.log(
    `${TRACKS}-track playlist through the local API: open (GET) median ${median(opens).toFixed(1)} ms, reorder one track median ${median(moves).toFixed(1)} ms`,
  );
} finally {
  for (const app of apps) await app.close();
  for (const backend of backends) await backend.close();
  await server.kill("SIGKILL");
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
