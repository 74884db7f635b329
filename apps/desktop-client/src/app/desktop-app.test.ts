import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlaylistView } from "../repository/playlist-repository.js";
import { type DesktopApp, startDesktopApp } from "./desktop-app.js";
import { PLACEHOLDER_PAGE } from "./static-ui.js";
import {
  appHeaders,
  type HttpRequest,
  httpRequest,
  openEventStream,
} from "./testing/http-client.js";
import { MemoryBackend } from "./testing/memory-backend.js";

let dir: string;
let backend: MemoryBackend;
let app: DesktopApp;
let windows: string[];

async function start(uiDir = path.join(dir, "no-ui")) {
  app = await startDesktopApp({
    dataDir: dir,
    backend,
    uiDir,
    openWindow: (url) => windows.push(url),
  });
}

/** A request as the app's own window would make it. */
function call(method: string, requestPath: string, body?: unknown) {
  const request: HttpRequest = {
    port: app.port,
    method,
    path: requestPath,
    headers: appHeaders(app.port, app.secret),
    body,
  };
  return httpRequest(request);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "desktop-app-"));
  backend = new MemoryBackend();
  windows = [];
});

afterEach(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("startDesktopApp", () => {
  it("listens on 127.0.0.1 at a free port and opens the window with the secret", async () => {
    await start();
    expect(app.url).toBe(`http://127.0.0.1:${app.port}/`);
    expect(app.port).toBeGreaterThan(0);
    expect(app.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(windows).toEqual([`${app.url}?secret=${app.secret}`]);
    expect(app.launchUrl).toBe(windows[0]);
  });

  it("gives each launch its own secret and port", async () => {
    await start();
    const other = await startDesktopApp({ dataDir: dir, backend, uiDir: dir });
    try {
      expect(other.secret).not.toBe(app.secret);
      expect(other.port).not.toBe(app.port);
    } finally {
      await other.close();
    }
  });

  it("stops answering once closed", async () => {
    await start();
    await app.close();
    await expect(call("GET", "/api/status")).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("the playlist API", () => {
  beforeEach(() => start());

  it("creates, renames, lists and deletes playlists", async () => {
    const created = await call("POST", "/api/playlists", { name: "  Road trip " });
    expect(created.status).toBe(201);
    const { id } = created.json as PlaylistView;
    expect(created.json).toEqual({ id, name: "Road trip", entries: [] });
    const renamed = await call("PATCH", `/api/playlists/${id}`, { name: "Summer" });
    expect(renamed.json).toMatchObject({ id, name: "Summer" });
    expect((await call("GET", "/api/playlists")).json).toEqual([
      { id, name: "Summer", entries: [] },
    ]);
    expect((await call("DELETE", `/api/playlists/${id}`)).status).toBe(204);
    expect((await call("GET", "/api/playlists")).json).toEqual([]);
    expect((await call("GET", `/api/playlists/${id}`)).status).toBe(404);
  });

  it("adds tracks at an index, moves and removes entries", async () => {
    const { id } = (await call("POST", "/api/playlists", { name: "Mix" })).json as PlaylistView;
    await call("POST", `/api/playlists/${id}/entries`, { track: "B" });
    const added = await call("POST", `/api/playlists/${id}/entries`, { track: "A", index: 0 });
    expect(added.status).toBe(201);
    const view = added.json as PlaylistView;
    expect(view.entries.map((entry) => entry.track)).toEqual(["A", "B"]);
    const a = view.entries[0]!.entryId;
    const moved = await call("POST", `/api/playlists/${id}/entries/${a}/move`, { index: 1 });
    expect((moved.json as PlaylistView).entries.map((entry) => entry.track)).toEqual(["B", "A"]);
    const removed = await call("DELETE", `/api/playlists/${id}/entries/${a}`);
    expect((removed.json as PlaylistView).entries.map((entry) => entry.track)).toEqual(["B"]);
  });

  it.each([
    ["not JSON", { rawBody: "{name:" }],
    ["an empty name", { body: { name: "   " } }],
    ["a name that is not a string", { body: { name: 42 } }],
    ["an unknown field", { body: { name: "x", owner: "me" } }],
    ["an array", { body: [] }],
  ])("refuses %s with 400 and no stack", async (_, request) => {
    const answer = await httpRequest({
      port: app.port,
      method: "POST",
      path: "/api/playlists",
      ...request,
      headers: { ...appHeaders(app.port, app.secret), "content-type": "application/json" },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ type: "invalid_request" });
    expect(Object.keys(answer.json as object).sort()).toEqual(["message", "type"]);
    expect(answer.text).not.toMatch(/at .*\.ts/);
    expect((await call("GET", "/api/playlists")).json).toEqual([]);
  });

  it("refuses a body that is not declared JSON with 415", async () => {
    const answer = await httpRequest({
      port: app.port,
      method: "POST",
      path: "/api/playlists",
      headers: { ...appHeaders(app.port, app.secret), "content-type": "text/plain" },
      rawBody: JSON.stringify({ name: "x" }),
    });
    expect(answer.status).toBe(415);
    expect(answer.json).toMatchObject({ type: "unsupported_media_type" });
  });

  it("refuses a body over the limit with 413", async () => {
    const answer = await call("POST", "/api/playlists", { name: "x".repeat(70_000) });
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ type: "payload_too_large" });
  });

  it("answers 404 for unknown playlists, entries and routes", async () => {
    expect((await call("PATCH", "/api/playlists/nope", { name: "x" })).json).toMatchObject({
      type: "not_found",
    });
    expect((await call("DELETE", "/api/playlists/nope")).status).toBe(404);
    expect((await call("POST", "/api/playlists/nope/entries", { track: "t" })).status).toBe(404);
    const { id } = (await call("POST", "/api/playlists", { name: "Mix" })).json as PlaylistView;
    expect((await call("DELETE", `/api/playlists/${id}/entries/nope`)).status).toBe(404);
    expect(
      (await call("POST", `/api/playlists/${id}/entries/nope/move`, { index: 0 })).status,
    ).toBe(404);
    const unknown = await call("GET", "/api/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ type: "not_found" });
  });

  it("refuses an index past the end with 422 and negative or fractional ones with 400", async () => {
    const { id } = (await call("POST", "/api/playlists", { name: "Mix" })).json as PlaylistView;
    const entries = `/api/playlists/${id}/entries`;
    expect((await call("POST", entries, { track: "t", index: 1 })).json).toMatchObject({
      type: "invalid_index",
    });
    expect((await call("POST", entries, { track: "t", index: -1 })).status).toBe(400);
    expect((await call("POST", entries, { track: "t", index: 0.5 })).status).toBe(400);
    const view = (await call("POST", entries, { track: "t" })).json as PlaylistView;
    const move = `${entries}/${view.entries[0]!.entryId}/move`;
    expect((await call("POST", move, { index: 1 })).status).toBe(422);
    expect((await call("POST", move, {})).status).toBe(400);
  });
});

describe("settings, status and sync actions", () => {
  beforeEach(() => start());

  it("stores the connection and switches mode", async () => {
    expect((await call("GET", "/api/settings")).json).toEqual({
      mode: "local",
      serverUrl: "",
      token: "",
    });
    const answer = await call("PUT", "/api/settings", {
      serverUrl: "https://sync.example.com",
      token: "jwt-token",
      mode: "hybrid",
    });
    expect(answer.json).toEqual({
      mode: "hybrid",
      serverUrl: "https://sync.example.com",
      token: "jwt-token",
    });
    expect(backend.repository().mode).toBe("hybrid");
    const cleared = await call("PUT", "/api/settings", { serverUrl: "", token: "" });
    expect(cleared.json).toEqual({ mode: "hybrid", serverUrl: "", token: "" });
  });

  it("refuses invalid settings with 400 and settings the backend refuses with 422", async () => {
    expect((await call("PUT", "/api/settings", { serverUrl: "ftp://x" })).status).toBe(400);
    expect((await call("PUT", "/api/settings", { mode: "cloud" })).status).toBe(400);
    expect((await call("PUT", "/api/settings", {})).status).toBe(400);
    const refused = await call("PUT", "/api/settings", { mode: "server" });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ type: "invalid_settings" });
    expect(backend.repository().mode).toBe("local");
  });

  it("refuses a second mode switch while one runs with 409", async () => {
    await call("PUT", "/api/settings", { serverUrl: "http://s", token: "t" });
    let release = () => {};
    backend.modeSwitchGate = new Promise((resolve) => {
      release = resolve;
    });
    const first = call("PUT", "/api/settings", { mode: "server" });
    await expect.poll(() => backend.calls.setMode).toBe(1);
    const second = await call("PUT", "/api/settings", { mode: "hybrid" });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ type: "mode_switch_in_progress" });
    release();
    expect((await first).json).toMatchObject({ mode: "server" });
  });

  it("serves the status, sync-now and resync, refused in Local mode with 409", async () => {
    expect((await call("GET", "/api/status")).json).toMatchObject({ mode: "local", pending: 0 });
    const refused = await call("POST", "/api/sync-now");
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ type: "unavailable" });
    await call("PUT", "/api/settings", { serverUrl: "http://s", token: "t", mode: "hybrid" });
    const synced = await call("POST", "/api/sync-now");
    expect(synced.status).toBe(200);
    expect((synced.json as { lastSyncedAt: number }).lastSyncedAt).toBeGreaterThan(0);
    expect((await call("POST", "/api/resync")).status).toBe(200);
    expect(backend.calls).toMatchObject({ syncNow: 1, resync: 1 });
  });

  it("dismisses a failed edit, and answers 404 for an unknown one", async () => {
    backend.refuse({ operationId: "op-1", reason: "forbidden" });
    expect((await call("POST", "/api/failed/op-2/dismiss")).status).toBe(404);
    expect((await call("POST", "/api/failed/op-1/dismiss")).status).toBe(204);
    expect((await call("GET", "/api/status")).json).toMatchObject({ refused: [] });
  });
});

describe("GET /api/events", () => {
  beforeEach(() => start());

  const events = () =>
    openEventStream({
      port: app.port,
      path: "/api/events",
      headers: appHeaders(app.port, app.secret),
    });

  it("starts with the status and the playlists, then sends every change", async () => {
    const stream = await events();
    try {
      expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
      expect((await stream.next("status")).data).toMatchObject({ mode: "local" });
      expect((await stream.next("playlists")).data).toEqual([]);
      await call("POST", "/api/playlists", { name: "Live" });
      expect((await stream.next("playlists")).data).toMatchObject([{ name: "Live" }]);
      backend.setStatus({ pending: 3 });
      expect((await stream.next("status")).data).toMatchObject({ pending: 3 });
    } finally {
      stream.close();
    }
  });

  it("reports a mode switch's progress, then follows the new repository", async () => {
    const stream = await events();
    try {
      await stream.next("playlists");
      const before = backend.repository();
      await call("PUT", "/api/settings", { serverUrl: "http://s", token: "t", mode: "server" });
      expect((await stream.next("mode")).data).toEqual({
        phase: "progress",
        to: "server",
        progress: { step: "copying playlists", done: 0, total: 2 },
      });
      expect((await stream.next("mode")).data).toMatchObject({ phase: "progress" });
      expect((await stream.next("mode")).data).toEqual({ phase: "done", to: "server" });
      expect(before.listenerCount).toBe(0);
      await backend.repository().create("After the switch");
      let list: unknown;
      do list = (await stream.next("playlists")).data;
      while (Array.isArray(list) && list.length === 0); // the switch's own list comes first
      expect(list).toMatchObject([{ name: "After the switch" }]);
    } finally {
      stream.close();
    }
  });

  it("reports a refused mode switch as failed", async () => {
    const stream = await events();
    try {
      await call("PUT", "/api/settings", { mode: "server" });
      expect((await stream.next("mode")).data).toMatchObject({ phase: "failed", to: "server" });
    } finally {
      stream.close();
    }
  });

  it("ends the streams when the app closes", async () => {
    const stream = await events();
    await stream.next("playlists");
    await app.close();
    await stream.ended();
  });
});

describe("GET /auth/callback (the sign-in's loopback redirect)", () => {
  beforeEach(() => start());
  const callback = (query: string, headers: Record<string, string> = {}) =>
    httpRequest({
      port: app.port,
      path: `/auth/callback?${query}`,
      headers: { host: `127.0.0.1:${app.port}`, "sec-fetch-site": "cross-site", ...headers },
    });

  it("completes only a sign-in this app started, with its state, though the browser has no secret", async () => {
    const started = await call("POST", "/api/account/sign-in", {
      serverUrl: "http://127.0.0.1:8787",
    });
    expect(started.status).toBe(200);
    expect((started.json as { account: { state: string } }).account.state).toBe("waiting");
    const { state } = backend.pendingSignIn!;
    expect((await callback(`state=forged&code=good`)).status).toBe(400);
    // The forged answer ended nothing: the real one still completes, once.
    const done = await callback(`state=${state}&code=good`);
    expect(done.status).toBe(200);
    expect(done.text).toContain("Signed in as ann@example.com");
    expect((await call("GET", "/api/account")).json).toMatchObject({
      state: "signed-in",
      email: "ann@example.com",
    });
    expect((await callback(`state=${state}&code=good`)).status).toBe(400);
  });

  it("answers only on its own address (DNS rebinding), and other routes still need the secret", async () => {
    await call("POST", "/api/account/sign-in", { serverUrl: "http://127.0.0.1:8787" });
    const { state } = backend.pendingSignIn!;
    expect((await callback(`state=${state}&code=good`, { host: "evil.example" })).status).toBe(403);
    const noSecret = await httpRequest({
      port: app.port,
      path: "/api/account",
      headers: { host: `127.0.0.1:${app.port}` },
    });
    expect(noSecret.status).toBe(401);
  });

  it("refuses a sign-in server that is not an http(s) URL", async () => {
    const answer = await call("POST", "/api/account/sign-in", { serverUrl: "ftp://x" });
    expect(answer.status).toBe(400);
  });
});

describe("quitting with the last window", () => {
  const streamOf = () =>
    openEventStream({
      port: app.port,
      path: "/api/events",
      headers: appHeaders(app.port, app.secret),
    });

  async function startWatched(graceMs: number) {
    let closed = 0;
    app = await startDesktopApp({
      dataDir: dir,
      backend,
      uiDir: dir,
      onLastWindowClosed: () => closed++,
      lastWindowGraceMs: graceMs,
    });
    return () => closed;
  }

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("says the last window closed once its event stream is gone for the grace period, and only once", async () => {
    const closed = await startWatched(100);
    await pause(300);
    expect(closed()).toBe(0); // no window has connected yet: keep serving
    const window = await streamOf();
    await window.next("playlists");
    await pause(300);
    expect(closed()).toBe(0);
    window.close();
    const deadline = Date.now() + 5000;
    while (closed() === 0 && Date.now() < deadline) await pause(20);
    expect(closed()).toBe(1);
    const again = await streamOf();
    await again.next("playlists");
    again.close();
    await pause(300);
    expect(closed()).toBe(1);
  });

  it("a window that comes back within the grace period (a reload) keeps the app running", async () => {
    const closed = await startWatched(1000);
    const first = await streamOf();
    await first.next("playlists");
    const second = await streamOf();
    await second.next("playlists");
    first.close();
    await pause(1300);
    expect(closed()).toBe(0); // one window still holds its stream
    second.close();
    await pause(200);
    const reloaded = await streamOf();
    await reloaded.next("playlists");
    await pause(1300);
    expect(closed()).toBe(0);
    reloaded.close();
    const deadline = Date.now() + 5000;
    while (closed() === 0 && Date.now() < deadline) await pause(20);
    expect(closed()).toBe(1);
  });
});

describe("the UI", () => {
  const page = (requestPath: string, port = app.port) =>
    httpRequest({ port, path: requestPath, headers: appHeaders(port, app.secret) });

  it("serves a placeholder page when the UI folder is missing", async () => {
    await start();
    const answer = await page("/");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.text).toBe(PLACEHOLDER_PAGE);
  });

  it("serves the folder's files with their content types, index.html for UI routes", async () => {
    const ui = path.join(dir, "ui");
    await mkdir(path.join(ui, "assets"), { recursive: true });
    await writeFile(path.join(ui, "index.html"), "<!doctype html><p>app</p>");
    await writeFile(path.join(ui, "assets", "app.js"), "console.log(1)");
    await writeFile(path.join(ui, "assets", "app.css"), "p{}");
    await writeFile(path.join(dir, "outside.txt"), "secret file");
    await start(ui);
    const index = await page("/");
    expect(index.text).toBe("<!doctype html><p>app</p>");
    expect(index.headers["content-type"]).toMatch(/^text\/html/);
    expect((await page("/assets/app.js")).headers["content-type"]).toMatch(/^text\/javascript/);
    expect((await page("/assets/app.css")).headers["content-type"]).toMatch(/^text\/css/);
    expect((await page("/settings")).text).toBe("<!doctype html><p>app</p>");
    expect((await page("/assets/missing.js")).status).toBe(404);
    for (const traversal of [
      "/../outside.txt",
      "/%2e%2e/outside.txt",
      "/assets/..%2f..%2foutside.txt",
    ]) {
      expect((await page(traversal)).text).not.toContain("secret file");
    }
  });
});
