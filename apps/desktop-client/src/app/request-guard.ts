/**
 * The local server's defences. Anything on this machine can reach
 * 127.0.0.1, and any web page the user visits can make the browser send
 * requests there, so every request must prove it comes from the app's own
 * window (or from a process that read the lock file):
 *
 * - Host: exactly `127.0.0.1:PORT` or `localhost:PORT`, so a DNS-rebinding
 *   page (its own name resolving to 127.0.0.1) is refused.
 * - Fetch metadata: a `Sec-Fetch-Site` other than `same-origin` or `none`
 *   (a request started by another page, other local ports included) is refused.
 * - Secret: a random per-launch secret, in the `X-Syncline-App-Secret` header
 *   (non-browser clients, e.g. a second start asking for focus) or in the
 *   HttpOnly, SameSite=Strict cookie the window gets on its first load of
 *   `/?secret=…` (which then redirects to `/`, so the secret leaves the
 *   address bar). EventSource cannot set headers; the cookie covers it. The
 *   cookie's name carries the port, as cookies are not separated by port.
 * - Origin: a state-changing request (not GET/HEAD) must carry an `Origin`
 *   equal to the app's own; only a request authenticated by the header (never
 *   sent by a page: it would need the secret) may omit it.
 * - No CORS headers are ever sent, every answer is `Cache-Control: no-store`,
 *   and the pages may not be framed.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { SIGN_IN_CALLBACK_PATH } from "../account/native-sign-in.js";

/** The header a non-browser client sends the secret in. */
export const SECRET_HEADER = "X-Syncline-App-Secret";

/** The query parameter of the window's first URL. */
export const SECRET_QUERY = "secret";

/** The cookie that carries the secret for the server listening on `port`. */
export function secretCookieName(port: number): string {
  return `syncline_app_secret_${port}`;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);
const ALLOWED_FETCH_SITES = new Set(["same-origin", "none"]);

function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

function refuse(c: Context, status: 401 | 403, type: string, message: string): Response {
  if (c.req.path.startsWith("/api/")) return c.json({ type, message }, status);
  return c.text(message, status);
}

/** Headers on every answer: nothing cached, nothing sniffed, never framed, no referrer. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("X-Frame-Options", "DENY");
  c.header("Content-Security-Policy", "frame-ancestors 'none'");
  c.header("Referrer-Policy", "no-referrer");
};

/**
 * The guard in front of every route of the server listening on `port` (see
 * the module comment): checks Host, fetch metadata, the secret and Origin,
 * and turns the window's first `GET /?secret=…` into the cookie.
 */
export function requestGuard(options: { readonly port: number; readonly secret: string }) {
  const { port, secret } = options;
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const cookieName = secretCookieName(port);
  const handler: MiddlewareHandler = async (c, next) => {
    const host = c.req.header("host");
    if (host === undefined || !hosts.has(host)) {
      return refuse(c, 403, "forbidden_host", "This app answers only on its own address.");
    }
    // The sign-in's browser comes back from the server's site without the
    // secret: its own `state` and PKCE guard it (sign-in-callback.ts).
    if (c.req.method === "GET" && c.req.path === SIGN_IN_CALLBACK_PATH) return next();
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined && !ALLOWED_FETCH_SITES.has(site)) {
      return refuse(c, 403, "forbidden_origin", "Requests from other pages are refused.");
    }
    const querySecret = c.req.query(SECRET_QUERY);
    if (c.req.method === "GET" && c.req.path === "/" && querySecret !== undefined) {
      if (!sameSecret(querySecret, secret)) {
        return refuse(c, 401, "unauthorized", "This link is not valid (any more).");
      }
      setCookie(c, cookieName, secret, { httpOnly: true, sameSite: "Strict", path: "/" });
      return c.redirect("/", 303);
    }
    const headerSecret = c.req.header(SECRET_HEADER);
    const byHeader = sameSecret(headerSecret, secret);
    if (!byHeader && !sameSecret(getCookie(c, cookieName), secret)) {
      return refuse(
        c,
        401,
        "unauthorized",
        "Open this app with `syncline-playlists open`: this page needs the app's secret.",
      );
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      const allowed = origin === undefined ? byHeader : origin === `http://${host}`;
      if (!allowed) {
        return refuse(c, 403, "forbidden_origin", "Requests from other origins are refused.");
      }
    }
    await next();
  };
  return handler;
}
