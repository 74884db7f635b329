import { Hono } from "hono";
import { html } from "hono/html";
import { SIGN_IN_CALLBACK_PATH } from "../account/native-sign-in.js";
import { type AppBackend, BackendRefusedError } from "./backend.js";
import type { LiveEvents } from "./live-events.js";

const page = (title: string, message: string) => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · Syncline Playlists</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;color:#1d2433}</style></head>
<body><main><h1>${title}</h1><p role="status">${message}</p></main></body></html>`;

/**
 * `GET /auth/callback`: where the system browser returns after the sign-in
 * (RFC 8252's loopback redirect). It is the one route without the launch
 * secret (the browser has none): the `state` proves the sign-in was started
 * by this app, and the code is worth nothing without the PKCE verifier only
 * this process holds. It completes the sign-in, shows the app's window
 * again, and tells the browser tab it may close.
 */
export function signInCallbackRoute(options: {
  readonly backend: AppBackend;
  readonly events: LiveEvents;
  readonly focus: () => void;
}): Hono {
  const { backend, events, focus } = options;
  return new Hono().get(SIGN_IN_CALLBACK_PATH, async (c) => {
    try {
      const email = await backend.completeSignIn({
        state: c.req.query("state"),
        code: c.req.query("code"),
        error: c.req.query("error"),
      });
      events.repositorySwitched();
      focus();
      return c.html(
        page(
          "Signed in",
          `Signed in as ${email}. You can close this tab and go back to Syncline Playlists.`,
        ),
      );
    } catch (error) {
      const message =
        error instanceof BackendRefusedError ? error.message : "The sign-in did not complete.";
      return c.html(page("Sign-in not completed", message), 400);
    }
  });
}
