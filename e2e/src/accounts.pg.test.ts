import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createHttpTransport,
  createSyncClient,
  MemoryClientStore,
  SessionEndedError,
  sessionAccessTokens,
} from "@syncline/client";
import fc from "fast-check";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_TESTS_RUN, openBrowserContext } from "./testing/browser.js";
import { eventually } from "./testing/clients.js";
import { useServerEnvironment } from "./testing/server-environment.js";
import type { ServerProcess } from "./testing/server-process.js";
import { runCli } from "./testing/server-process.js";
import { type SmtpInbox, signInLink, startSmtpInbox } from "./testing/smtp-inbox.js";

// Accounts against a real server process: Better Auth on the embedded PostgreSQL, sign-in
// emails through a real SMTP receiver, links followed in a real Chromium, and a stand-in
// for the desktop app's loopback redirect.
const environment = useServerEnvironment({ SYNCLINE_SIGN_IN_PER_MINUTE: "1000" });
let inbox: SmtpInbox;
let server: ServerProcess;
let context: BrowserContext;
let app: Server;
let appUrl: string;
/** What reached the app's loopback redirect: each request's query. */
const returned: URLSearchParams[] = [];

beforeAll(async () => {
  inbox = await startSmtpInbox();
  server = await environment.start({
    SYNCLINE_SMTP_URL: inbox.url,
    SYNCLINE_ACCESS_TOKEN_TTL: "2s",
  });
  app = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/callback") returned.push(url.searchParams); // not the favicon
    response
      .writeHead(200, { "content-type": "text/html" })
      .end("<h1>Signed in: back to the app</h1>");
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
  if (BROWSER_TESTS_RUN) context = await openBrowserContext();
}, 120_000);

afterAll(async () => {
  await context?.close();
  await inbox?.close();
  await new Promise((resolve) => app?.close(resolve));
});

/** A native app's sign-in request: its PKCE verifier, challenge and state (RFC 7636, RFC 8252). */
function nativeRequest(redirectUri = appUrl) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const state = randomBytes(16).toString("base64url");
  const query = new URLSearchParams({
    redirect_uri: redirectUri,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return { verifier, state, query, redirectUri };
}

/** Asks for a sign-in link through the form, as the page does (no JavaScript needed). */
async function askForLink(base: string, email: string, query?: URLSearchParams) {
  const form = new URLSearchParams({ email, ...Object.fromEntries(query ?? []) });
  return fetch(`${base}/sign-in`, {
    method: "POST",
    headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
}

/** The app's code exchange. */
async function exchange(code: string, verifier: string, redirectUri = appUrl) {
  const response = await fetch(`${server.url}/api/auth/native/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, code_verifier: verifier, redirect_uri: redirectUri }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The whole sign-in in Chromium: the form, the email, the link; returns what came back to the app. */
async function signInInBrowser(email: string) {
  const request = nativeRequest();
  const page = await context.newPage();
  await page.goto(`${server.url}/sign-in?${request.query}`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
  const mail = await inbox.next(email);
  const before = returned.length;
  await page.goto(signInLink(mail));
  await expect.poll(() => returned.length).toBe(before + 1);
  await page.getByRole("heading", { name: "Signed in: back to the app" }).waitFor();
  await page.close();
  const back = returned.at(-1)!;
  return { request, mail, code: back.get("code")!, state: back.get("state")! };
}

describe.runIf(BROWSER_TESTS_RUN)("signing in through the browser", () => {
  it("a magic link followed in Chromium returns a one-time code to the loopback redirect; its exchange gives a session whose access tokens the sync routes take", async () => {
    const email = `ann-${randomUUID()}@example.com`;
    const { request, mail, code, state } = await signInInBrowser(email);
    expect(mail.subject).toBe("Sign in to Syncline");
    expect(mail.text).toMatch(/works once, for 10 minutes/);
    expect(state).toBe(request.state);
    const { status, body } = await exchange(code, request.verifier);
    expect(status).toBe(200);
    const user = body.user as { id: string; email: string };
    expect(user.email).toBe(email);
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const tokens = sessionAccessTokens({
      url: server.url,
      sessionToken: body.session_token as string,
    });
    const jwt = await tokens.token();
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    expect(claims.sub).toBe(user.id);
    expect(JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()).alg).toBe("EdDSA");
    const pulled = await fetch(`${server.url}/sync/ops`, {
      headers: { authorization: `Bearer ${jwt}`, "x-device-id": randomUUID() },
    });
    expect(pulled.status).toBe(200);

    // The code worked once: a replay is refused.
    expect(await exchange(code, request.verifier)).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
  }, 60_000);

  it("a link works once: opening it again shows that it was used, with a way to ask for a new one", async () => {
    const email = `bob-${randomUUID()}@example.com`;
    const { mail } = await signInInBrowser(email);
    const page = await context.newPage();
    await page.goto(signInLink(mail));
    await page.getByRole("heading", { name: "Sign-in failed" }).waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/expired or was already used/);
    expect(
      await page.getByRole("link", { name: "Request a new sign-in link" }).getAttribute("href"),
    ).toMatch(/^\/sign-in\?redirect_uri=/);
    await page.close();
  }, 60_000);
});

describe("the native-app flow's refusals", () => {
  it("a wrong PKCE verifier is refused and burns the code: the right verifier fails after it", async () => {
    const email = `carol-${randomUUID()}@example.com`;
    const request = nativeRequest();
    expect((await askForLink(server.url, email, request.query)).status).toBe(200);
    const link = signInLink(await inbox.next(email));
    const code = await followWithoutBrowser(link);
    // Another last character (the verifier may already end in "A").
    const other = request.verifier.endsWith("A") ? "B" : "A";
    const wrong = await exchange(code, `${request.verifier.slice(0, -1)}${other}`);
    expect(wrong).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(wrong.body.error_description).toMatch(/code_verifier/);
    expect(await exchange(code, request.verifier)).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
  });

  it("a different redirect_uri at the exchange is refused", async () => {
    const email = `dan-${randomUUID()}@example.com`;
    const request = nativeRequest();
    await askForLink(server.url, email, request.query);
    const code = await followWithoutBrowser(signInLink(await inbox.next(email)));
    const other = await exchange(code, request.verifier, "http://127.0.0.1:1/elsewhere");
    expect(other).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it.each([
    "https://evil.example/callback",
    "http://localhost:4000/callback",
    "http://10.0.0.7:4000/callback",
    "http://127.0.0.1.evil.example/callback",
    "javascript:alert(1)",
  ])("only loopback redirects: %s gets a 400 page and no email", async (redirectUri) => {
    const email = `eve-${randomUUID()}@example.com`;
    const request = nativeRequest(redirectUri);
    const page = await fetch(`${server.url}/sign-in?${request.query}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/redirect_uri must be a loopback address/);
    const asked = await askForLink(server.url, email, request.query);
    expect(asked.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.mails.filter((mail) => mail.to === email)).toEqual([]);
  });

  it("a form posted from another site is refused (403) and sends nothing", async () => {
    const email = `mallory-${randomUUID()}@example.com`;
    const response = await fetch(`${server.url}/sign-in`, {
      method: "POST",
      headers: {
        origin: "https://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ email }),
    });
    expect(response.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.mails.filter((mail) => mail.to === email)).toEqual([]);
  });
});

/**
 * Follows a sign-in link as a browser would, without one: the verification
 * sets the session cookie and redirects to the completion, which redirects to
 * the app with the code.
 */
async function followWithoutBrowser(link: string): Promise<string> {
  const verified = await fetch(link, { redirect: "manual" });
  expect(verified.status).toBe(302);
  const cookie = verified.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const completed = await fetch(new URL(verified.headers.get("location")!, server.url), {
    redirect: "manual",
    headers: { cookie },
  });
  expect(completed.status).toBe(302);
  const back = new URL(completed.headers.get("location")!);
  expect(`${back.origin}${back.pathname}`).toBe(appUrl);
  return back.searchParams.get("code")!;
}

/** Signs in without a browser (fetch follows the same redirects) and returns the session token. */
async function signInWithoutBrowser(
  email: string,
): Promise<{ sessionToken: string; userId: string }> {
  const request = nativeRequest();
  await askForLink(server.url, email, request.query);
  const code = await followWithoutBrowser(signInLink(await inbox.next(email)));
  const { body } = await exchange(code, request.verifier);
  return { sessionToken: body.session_token as string, userId: (body.user as { id: string }).id };
}

describe("sessions and access tokens", () => {
  it("sign-out revokes the session: no more access tokens, and a client using it ends in error with auth_required", async () => {
    const { sessionToken } = await signInWithoutBrowser(`fay-${randomUUID()}@example.com`);
    const tokens = sessionAccessTokens({ url: server.url, sessionToken });
    const client = createSyncClient({
      store: new MemoryClientStore(),
      transport: createHttpTransport({ url: server.url }),
      token: await tokens.token(),
      refreshToken: tokens.refreshToken,
    });
    client.start();
    await eventually("synced", () => client.status.state === "synced");
    const out = await fetch(`${server.url}/api/auth/sign-out`, {
      method: "POST",
      headers: { authorization: `Bearer ${sessionToken}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(out.status).toBe(200);
    await expect(tokens.refreshToken()).rejects.toBeInstanceOf(SessionEndedError);
    // The access token it holds expires within seconds (2 s + 5 s tolerance); then the refresh is refused.
    await eventually("error", () => client.status.state === "error", 30_000);
    expect(client.status.lastError?.type).toBe("auth_required");
    await client.stop();
  }, 60_000);

  it("access tokens that expire mid-sync are refreshed from the session: every edit arrives once, on the other device too", async () => {
    const { sessionToken, userId } = await signInWithoutBrowser(`gus-${randomUUID()}@example.com`);
    const device = () => {
      const tokens = sessionAccessTokens({ url: server.url, sessionToken });
      return { tokens, store: new MemoryClientStore() };
    };
    const [a, b] = [device(), device()];
    const clients = await Promise.all(
      [a, b].map(async ({ tokens, store }) =>
        createSyncClient({
          store,
          transport: createHttpTransport({ url: server.url }),
          token: await tokens.token(),
          refreshToken: tokens.refreshToken,
        }),
      ),
    );
    for (const client of clients) client.start();
    // 30 edits over about 15 s: the 2 s tokens (7 s with the server's tolerance) expire twice or more.
    for (let i = 0; i < 30; i++) {
      clients[0]!.mutate((tx) => tx.upsert("note", `n${i}`, "title", `edit ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await eventually(
      "b has every edit",
      () =>
        Object.keys(clients[1]!.list("note")).length === 30 &&
        clients[0]!.status.pendingCount === 0,
      30_000,
    );
    const pool = environment.pool;
    const stored = await pool.query<{ entity_id: string }>(
      "SELECT entity_id FROM sync_op WHERE user_id = $1 ORDER BY id",
      [userId],
    );
    expect(stored.rows.map((row) => row.entity_id)).toEqual(
      Array.from({ length: 30 }, (_, i) => `n${i}`),
    );
    for (const client of clients) {
      expect(client.status.state).not.toBe("error");
      await client.stop();
    }
  }, 90_000);
});

describe("bad input on every auth route", () => {
  it("gets a clear 4xx, never a 500 or a stack trace (fuzzed bodies and queries)", async () => {
    const routes = [
      ["POST", "/api/auth/sign-in/magic-link"],
      ["POST", "/api/auth/native/token"],
      ["GET", "/api/auth/magic-link/verify"],
      ["GET", "/api/auth/native/complete"],
      ["GET", "/api/auth/token"],
      ["POST", "/api/auth/sign-out"],
      ["GET", "/sign-in"],
      ["POST", "/sign-in"],
      ["GET", "/sign-in/failed"],
    ] as const;
    const field = fc.oneof(
      fc.string(),
      fc.constantFrom("S256", appUrl, "https://evil.example/", "a@b.c"),
    );
    const query = fc.dictionary(
      fc.constantFrom(
        "token",
        "callbackURL",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
        "error",
        "email",
      ),
      field,
    );
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      query.map((q) => JSON.stringify(q)),
      fc
        .record({ code: field, code_verifier: field, redirect_uri: field })
        .map((r) => JSON.stringify(r)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        query,
        body,
        fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"),
        async ([method, path], params, payload, type) => {
          const response = await fetch(`${server.url}${path}?${new URLSearchParams(params)}`, {
            method,
            redirect: "manual",
            headers: {
              "content-type": type,
              origin: server.url,
              authorization: "Bearer not-a-session",
            },
            ...(method === "POST" ? { body: payload } : {}),
          });
          const text = await response.text();
          expect(response.status, `${method} ${path} ${text.slice(0, 200)}`).toBeLessThan(500);
          expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe("the zero-config default and production", () => {
  it("without SMTP the link is printed in the server's log, and the server says so at start", async () => {
    const plain = await environment.start();
    try {
      await plain.waitForLog((line) => String(line.msg).includes("no SMTP configured"));
      const email = `hal-${randomUUID()}@example.com`;
      expect((await askForLink(plain.url, email)).status).toBe(200);
      const line = await plain.waitForLog((each) => each.email === email);
      expect(String(line.url)).toMatch(/\/api\/auth\/magic-link\/verify\?token=/);
    } finally {
      await plain.kill();
    }
  }, 60_000);

  it("an expired link is refused with the failed page", async () => {
    const quick = await environment.start({
      SYNCLINE_SMTP_URL: inbox.url,
      SYNCLINE_SIGN_IN_LINK_TTL: "1s",
    });
    try {
      const email = `ivy-${randomUUID()}@example.com`;
      await askForLink(quick.url, email);
      const link = signInLink(await inbox.next(email));
      expect(link.startsWith(quick.url)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const verified = await fetch(link, { redirect: "manual" });
      expect(verified.status).toBe(302);
      const failed = new URL(verified.headers.get("location")!, quick.url);
      expect(failed.pathname).toBe("/sign-in/failed");
      const page = await fetch(failed);
      expect(page.status).toBe(400);
      expect(await page.text()).toMatch(/expired/);
    } finally {
      await quick.kill();
    }
  }, 60_000);

  it("rate-limits sign-in requests from one address: the page says to try again", async () => {
    const limited = await environment.start({
      SYNCLINE_SMTP_URL: inbox.url,
      SYNCLINE_SIGN_IN_PER_MINUTE: "3",
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await askForLink(limited.url, `jo${i}-${randomUUID()}@example.com`)).status);
      expect(statuses).toContain(429);
      expect(statuses.indexOf(429)).toBeLessThanOrEqual(3);
      const refused = await askForLink(limited.url, `kim-${randomUUID()}@example.com`);
      expect(refused.status).toBe(429);
      expect(await refused.text()).toMatch(/Try again in a minute/);
    } finally {
      await limited.kill();
    }
  }, 60_000);

  it("with NODE_ENV=production and no SMTP the server refuses to start, naming SYNCLINE_SMTP_URL", async () => {
    const run = await runCli(["serve"], { ...environment.env, NODE_ENV: "production", PORT: "0" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/SYNCLINE_SMTP_URL: required with NODE_ENV=production/);
  });
});
