import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DesktopApp, startDesktopApp } from "./desktop-app.js";
import { SECRET_HEADER, secretCookieName } from "./request-guard.js";
import {
  appHeaders,
  type HttpAnswer,
  httpRequest,
  openEventStream,
} from "./testing/http-client.js";
import { MemoryBackend } from "./testing/memory-backend.js";

let dir: string;
let backend: MemoryBackend;
let app: DesktopApp;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "request-guard-"));
  backend = new MemoryBackend();
  app = await startDesktopApp({ dataDir: dir, backend, uiDir: path.join(dir, "ui") });
});

afterEach(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

const own = () => appHeaders(app.port, app.secret);

function send(
  method: string,
  requestPath: string,
  headers: Record<string, string | undefined>,
  body?: unknown,
) {
  return httpRequest({ port: app.port, method, path: requestPath, headers, body });
}

/** Creating a playlist: the state-changing request the origin checks guard. */
const create = (headers: Record<string, string | undefined>) =>
  send("POST", "/api/playlists", headers, { name: "Injected" });

async function nothingCreated() {
  expect(await backend.repository().list()).toEqual([]);
}

/** Logs the window in: its first load of the launch URL sets the cookie. */
async function windowCookie(): Promise<string> {
  const answer = await send("GET", `/?secret=${app.secret}`, { host: `127.0.0.1:${app.port}` });
  expect(answer.status).toBe(303);
  expect(answer.headers.location).toBe("/");
  const [cookie] = answer.headers["set-cookie"] ?? [];
  expect(cookie).toMatch(new RegExp(`^${secretCookieName(app.port)}=${app.secret};`));
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie!.split(";")[0]!;
}

function expectNoCors(answer: HttpAnswer) {
  for (const name of Object.keys(answer.headers)) expect(name).not.toMatch(/^access-control-/);
}

describe("the secret", () => {
  it("refuses API calls without it or with a wrong one", async () => {
    const { [SECRET_HEADER]: _, ...withoutSecret } = own();
    for (const headers of [withoutSecret, { ...own(), [SECRET_HEADER]: "wrong" }]) {
      const read = await send("GET", "/api/playlists", headers);
      expect(read.status).toBe(401);
      expect(read.json).toMatchObject({ type: "unauthorized" });
      expect((await create(headers)).status).toBe(401);
    }
    await nothingCreated();
  });

  it("guards the event stream and the pages too", async () => {
    const headers = { host: `127.0.0.1:${app.port}` };
    expect((await send("GET", "/api/events", headers)).status).toBe(401);
    expect((await send("GET", "/", headers)).status).toBe(401);
    expect((await send("GET", "/?secret=wrong", headers)).status).toBe(401);
  });

  it("turns the launch URL into a cookie that serves the page, the API and the events", async () => {
    const cookie = await windowCookie();
    const host = `127.0.0.1:${app.port}`;
    expect((await send("GET", "/", { host, cookie })).status).toBe(200);
    expect((await send("GET", "/api/playlists", { host, cookie })).json).toEqual([]);
    const created = await create({ host, cookie, origin: `http://${host}` });
    expect(created.status).toBe(201);
    const stream = await openEventStream({
      port: app.port,
      path: "/api/events",
      headers: { host, cookie },
    });
    try {
      expect(stream.status).toBe(200);
      expect((await stream.next("playlists")).data).toMatchObject([{ name: "Injected" }]);
    } finally {
      stream.close();
    }
  });

  it("refuses a cookie that holds another secret, or this secret under another port's name", async () => {
    const host = `127.0.0.1:${app.port}`;
    const wrong = `${secretCookieName(app.port)}=wrong`;
    expect((await send("GET", "/api/playlists", { host, cookie: wrong })).status).toBe(401);
    const otherPort = `${secretCookieName(app.port + 1)}=${app.secret}`;
    expect((await send("GET", "/api/playlists", { host, cookie: otherPort })).status).toBe(401);
  });
});

describe("the Host check (DNS rebinding)", () => {
  it.each([
    "evil.example.com",
    `evil.example.com:${"PORT"}`,
    "127.0.0.1",
    "127.0.0.1:1",
    "[::1]:PORT",
  ])("refuses Host %s even with the secret", async (host) => {
    const headers = { ...own(), host: host.replace("PORT", String(app.port)) };
    const read = await send("GET", "/api/playlists", headers);
    expect(read.status).toBe(403);
    expect(read.json).toMatchObject({ type: "forbidden_host" });
    expect((await send("GET", `/?secret=${app.secret}`, headers)).status).toBe(403);
    expect((await create(headers)).status).toBe(403);
    await nothingCreated();
  });

  it("answers on localhost:PORT as well", async () => {
    const host = `localhost:${app.port}`;
    const answer = await create({ ...own(), host, origin: `http://${host}` });
    expect(answer.status).toBe(201);
  });
});

describe("the Origin check", () => {
  it.each([
    "http://evil.example.com",
    "http://127.0.0.1:1",
    "https://127.0.0.1:PORT",
    "http://localhost:PORT",
    "null",
  ])("refuses a state-changing request from origin %s", async (origin) => {
    const answer = await create({ ...own(), origin: origin.replace("PORT", String(app.port)) });
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ type: "forbidden_origin" });
    expectNoCors(answer);
    await nothingCreated();
  });

  it("refuses a cookie-authenticated state change without an Origin", async () => {
    const cookie = await windowCookie();
    const answer = await create({ host: `127.0.0.1:${app.port}`, cookie });
    expect(answer.status).toBe(403);
    await nothingCreated();
  });

  it("lets a non-browser client with the secret header omit the Origin", async () => {
    const answer = await create({ ...own(), origin: undefined });
    expect(answer.status).toBe(201);
  });

  it("refuses requests that fetch metadata marks as coming from another page", async () => {
    const cookie = await windowCookie();
    const host = `127.0.0.1:${app.port}`;
    for (const site of ["same-site", "cross-site"]) {
      const read = await send("GET", "/api/playlists", { host, cookie, "sec-fetch-site": site });
      expect(read.status).toBe(403);
      expect((await send("GET", "/", { host, cookie, "sec-fetch-site": site })).status).toBe(403);
    }
    const own = await send("GET", "/api/playlists", {
      host,
      cookie,
      "sec-fetch-site": "same-origin",
    });
    expect(own.status).toBe(200);
  });
});

describe("the answers", () => {
  it("never carry CORS headers, not even to a preflight", async () => {
    const preflight = await send("OPTIONS", "/api/playlists", {
      host: `127.0.0.1:${app.port}`,
      origin: "http://evil.example.com",
      "access-control-request-method": "POST",
      "access-control-request-headers": SECRET_HEADER,
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expectNoCors(preflight);
    expectNoCors(await send("GET", "/api/playlists", own()));
    expectNoCors(await create(own()));
  });

  it("are not stored by caches, not sniffed and not framed, refusals included", async () => {
    for (const answer of [
      await send("GET", "/api/status", own()),
      await send("GET", "/api/status", { host: "evil.example.com" }),
      await send("GET", "/", own()),
    ]) {
      expect(answer.headers["cache-control"]).toBe("no-store");
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["x-frame-options"]).toBe("DENY");
    }
  });
});
