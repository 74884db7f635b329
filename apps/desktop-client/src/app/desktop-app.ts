import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { SIGN_IN_CALLBACK_PATH } from "../account/native-sign-in.js";
import { apiRoutes } from "./api-routes.js";
import type { AppBackend } from "./backend.js";
import { LiveEvents } from "./live-events.js";
import { requestGuard, SECRET_QUERY, securityHeaders } from "./request-guard.js";
import { signInCallbackRoute } from "./sign-in-callback.js";
import { staticUi } from "./static-ui.js";
import { WindowPresence } from "./window-presence.js";

/** The only address the app listens on. */
export const LOOPBACK = "127.0.0.1";

/** What {@link startDesktopApp} serves. */
export interface DesktopAppOptions {
  /** The app data folder (reported to a second start's probe). */
  readonly dataDir: string;
  /** The main process: repository, mode switch, status. */
  readonly backend: AppBackend;
  /** The built UI (e.g. `dist/ui`); a placeholder page when the folder is missing. */
  readonly uiDir: string;
  /** Opens (or focuses) the window on `launchUrl`: at start, and on each `POST /api/focus`. Omit for no window. */
  readonly openWindow?: (launchUrl: string) => void;
  /** Opens a sign-in page in the system browser. Omit to only hand its URL to the window. */
  readonly openBrowser?: (url: string) => void;
  /**
   * Called once when the app's last window closed: no window has held the
   * live-event stream for `lastWindowGraceMs` after at least one did (see
   * `WindowPresence`). Omit to keep serving with no window.
   */
  readonly onLastWindowClosed?: () => void;
  /** How long a closed last window may take to come back (a reload) first. @default DEFAULT_LAST_WINDOW_GRACE_MS (5 s) */
  readonly lastWindowGraceMs?: number;
}

/** A running desktop app server. */
export interface DesktopApp {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** This launch's secret (header `X-Syncline-App-Secret`, or the window's cookie). */
  readonly secret: string;
  /** The window's first URL: `url` with the secret, which the server turns into the cookie. */
  readonly launchUrl: string;
  /** Ends the event streams and stops the server (the backend stays open: it is the caller's). */
  close(): Promise<void>;
}

/**
 * Serves the UI and its API on 127.0.0.1 at a free port, behind the request
 * guard (see `request-guard.ts`), with a new random secret, then opens the
 * window.
 */
export async function startDesktopApp(options: DesktopAppOptions): Promise<DesktopApp> {
  const secret = randomBytes(32).toString("base64url");
  let app: Hono | undefined;
  const server = createAdaptorServer({
    fetch: (request: Request) => app!.fetch(request),
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  const { port } = address;
  const url = `http://${LOOPBACK}:${port}/`;
  const launchUrl = `${url}?${SECRET_QUERY}=${secret}`;
  const openWindow = () => options.openWindow?.(launchUrl);

  const { onLastWindowClosed, lastWindowGraceMs } = options;
  const presence =
    onLastWindowClosed &&
    new WindowPresence({
      onLastWindowClosed,
      ...(lastWindowGraceMs === undefined ? {} : { graceMs: lastWindowGraceMs }),
    });
  const events = new LiveEvents(options.backend, (count) => presence?.windows(count));
  app = new Hono()
    .use(securityHeaders)
    .use(requestGuard({ port, secret }))
    .route(
      "/api",
      apiRoutes({
        backend: options.backend,
        events,
        instance: { pid: process.pid, dataDir: options.dataDir },
        focus: openWindow,
        signInCallbackUrl: `${url.replace(/\/$/, "")}${SIGN_IN_CALLBACK_PATH}`,
        openBrowser: (browserUrl) => options.openBrowser?.(browserUrl),
      }),
    )
    .route("/", signInCallbackRoute({ backend: options.backend, events, focus: openWindow }))
    .route("/", staticUi(options.uiDir));
  openWindow();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    secret,
    launchUrl,
    close() {
      closing ??= new Promise<void>((resolve) => {
        presence?.dispose();
        events.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
