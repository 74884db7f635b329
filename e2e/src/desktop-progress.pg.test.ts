import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpTransport } from "@syncline/client";
import { DesktopBackend } from "@syncline/desktop-client";
import type { Op } from "@syncline/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, userToken } from "./testing/clients.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";

// The status panel's progress bar during a large catch-up, from the app's own backend.
const environment = useServerEnvironment();
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  server = await environment.start();
  dir = await mkdtemp(join(tmpdir(), "syncline-progress-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Another device of the user writes `count` fields straight to the server, in batches of 1000. */
async function otherDeviceWrites(token: string, count: number, from: number): Promise<void> {
  const transport = createHttpTransport({ url: server.url });
  const credentials = { token, deviceId: randomUUID() };
  for (let start = 0; start < count; start += 1000) {
    const ops = Array.from(
      { length: Math.min(1000, count - start) },
      (_, i): Op => ({
        operation_id: randomUUID(),
        lamport_ts: from + start + i + 1,
        entity_type: "note",
        entity_id: `n${from + start + i}`,
        op: "upsert",
        field: "title",
        value: "x",
      }),
    );
    const pushed = await transport.push(ops, credentials);
    if (!pushed.ok) throw new Error(pushed.failure.message);
  }
}

/** Every distinct progress the backend's status published until it is synced. */
async function progressUntilSynced(backend: DesktopBackend, start: () => Promise<void>) {
  const steps: { step: string; fraction: number | null }[] = [];
  const stop = backend.onStatus(({ progress }) => {
    if (progress && steps.at(-1)?.step !== progress.step) steps.push(progress);
  });
  await start();
  await eventually("synced", () => backend.status().state === "synced", 30_000);
  stop();
  return steps;
}

describe("the status panel during a large catch-up", () => {
  it("shows the snapshot's items loaded, then a pull's part of the way done, and nothing once synced", async () => {
    const token = await userToken(environment.env, randomUUID());
    await otherDeviceWrites(token, 3500, 0);
    const dataDir = join(dir, randomUUID());

    const joining = await DesktopBackend.open(dataDir);
    const loading = await progressUntilSynced(joining, async () => {
      await joining.updateConnection({ serverUrl: server.url, token });
      await joining.setMode("hybrid", () => {});
    });
    // Pages of 1000 fields: the bar shows the items loaded, without a known end.
    expect(loading).toEqual([
      { step: "Loading the server's playlists: 1,000 items so far", fraction: null },
      { step: "Loading the server's playlists: 2,000 items so far", fraction: null },
      { step: "Loading the server's playlists: 3,000 items so far", fraction: null },
    ]);
    expect(joining.status().progress).toBeNull();
    await joining.close();

    // Offline meanwhile, 3500 more edits: the catch-up is a pull of four pages with a known end.
    await otherDeviceWrites(token, 3500, 3500);
    const returning = await DesktopBackend.open(dataDir);
    const pulling = await progressUntilSynced(returning, async () => {});
    const fractions = pulling.map((p) => p.fraction);
    expect(fractions.length).toBeGreaterThanOrEqual(3);
    expect(fractions.every((f) => f !== null && f > 0 && f <= 1)).toBe(true);
    expect(fractions).toEqual([...fractions].sort((a, b) => a! - b!));
    expect(fractions.at(-1)).toBe(1);
    expect(pulling[0]!.step).toMatch(/^Catching up with edits from other devices: \d+%$/);
    expect(returning.status().progress).toBeNull();
    await returning.close();
  });
});
