import type { IncomingMessage } from "node:http";
import { type Context, Hono } from "hono";
import { type Accounts, AUTH_BASE_PATH, CLIENT_IP_HEADER } from "./accounts.js";
import {
  authorizationQuery,
  type NativeAuthorization,
  NativeAuthorizationSchema,
} from "./native-app.js";
import { SIGN_IN_FAILED_PATH } from "./native-app-plugin.js";
import { checkInboxPage, signedInPage, signInPage, signInProblemPage } from "./sign-in-pages.js";

const NATIVE_FIELDS = ["redirect_uri", "state", "code_challenge", "code_challenge_method"] as const;

/** What the failed page says for each error a sign-in can end with. */
const FAILURES: Record<string, string> = {
  INVALID_TOKEN: "This sign-in link has expired or was already used.",
  EXPIRED_TOKEN: "This sign-in link has expired.",
  not_signed_in: "The sign-in did not complete in this browser.",
  invalid_request: "This sign-in request is not valid.",
};

/** The caller's address, from the socket (never from a header a client could set). */
function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket.remoteAddress ?? "unknown";
}

/** The request with {@link CLIENT_IP_HEADER} set from the socket, replacing any client value. */
function withClientAddress(c: Context, request: Request = c.req.raw): Request {
  const headers = new Headers(request.headers);
  headers.set(CLIENT_IP_HEADER, clientAddress(c));
  return new Request(request, { headers });
}

/**
 * A native app's authorization from form fields or a query: absent when none
 * of its fields is there, an error when some are there but not valid.
 */
function readAuthorization(
  fields: Record<string, unknown>,
): { ok: true; value: NativeAuthorization | undefined } | { ok: false; message: string } {
  if (!NATIVE_FIELDS.some((name) => fields[name] !== undefined))
    return { ok: true, value: undefined };
  const parsed = NativeAuthorizationSchema.safeParse(
    Object.fromEntries(NATIVE_FIELDS.map((name) => [name, fields[name]])),
  );
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message };
  return { ok: true, value: parsed.data };
}

const withQuery = (path: string, authorization: NativeAuthorization | undefined) =>
  authorization ? `${path}?${authorizationQuery(authorization)}` : path;

/**
 * The accounts' HTTP surface: Better Auth under `/api/auth/*` (with the
 * client's address for its rate limits), and the server-rendered sign-in
 * pages, which work without JavaScript: `GET /sign-in` (the email form, with
 * a native app's loopback redirect, state and PKCE challenge riding along),
 * `POST /sign-in` (asks Better Auth for the magic link; "check your inbox"),
 * `GET /sign-in/done` (a browser sign-in that worked) and
 * `GET /sign-in/failed` (an expired or reused link, in words).
 * @param accounts the Better Auth instance (asked per request: it is made once the server's URL is known)
 */
export function signInRoutes(options: {
  readonly accounts: () => Accounts;
  readonly linkMinutes: number;
}) {
  const { accounts, linkMinutes } = options;
  const app = new Hono();

  app.on(["GET", "POST"], `${AUTH_BASE_PATH}/*`, (c) => accounts().handler(withClientAddress(c)));

  app.get("/sign-in", (c) => {
    const authorization = readAuthorization(c.req.query());
    if (!authorization.ok) {
      return c.html(
        signInProblemPage({ title: "Sign-in request not valid", message: authorization.message }),
        400,
      );
    }
    return c.html(signInPage({ authorization: authorization.value }));
  });

  app.post("/sign-in", async (c) => {
    const origin = new URL(accounts().options.baseURL as string).origin;
    const sentBy = c.req.header("origin");
    if (
      sentBy !== undefined ? sentBy !== origin : c.req.header("sec-fetch-site") === "cross-site"
    ) {
      return c.html(
        signInProblemPage({
          title: "Sign-in refused",
          message: "This form was sent from another site. Open the sign-in page and try again.",
          retryHref: "/sign-in",
        }),
        403,
      );
    }
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const authorization = readAuthorization(form);
    if (!authorization.ok) {
      return c.html(
        signInProblemPage({ title: "Sign-in request not valid", message: authorization.message }),
        400,
      );
    }
    const email = typeof form.email === "string" ? form.email.trim() : "";
    const asked = await accounts().handler(
      withClientAddress(
        c,
        new Request(new URL(`${AUTH_BASE_PATH}/sign-in/magic-link`, origin), {
          method: "POST",
          headers: { "content-type": "application/json", origin },
          body: JSON.stringify({
            email,
            callbackURL: authorization.value
              ? withQuery(`${AUTH_BASE_PATH}/native/complete`, authorization.value)
              : "/sign-in/done",
            errorCallbackURL: withQuery(SIGN_IN_FAILED_PATH, authorization.value),
          }),
        }),
      ),
    );
    if (asked.ok) return c.html(checkInboxPage(email, linkMinutes));
    if (asked.status === 429) {
      return c.html(
        signInProblemPage({
          title: "Too many sign-in requests",
          message:
            "Too many sign-in links were asked for from this address. Try again in a minute.",
          retryHref: withQuery("/sign-in", authorization.value),
        }),
        429,
      );
    }
    if (asked.status === 400) {
      return c.html(
        signInPage({
          authorization: authorization.value,
          email,
          error: "Enter a valid email address.",
        }),
        400,
      );
    }
    return c.html(
      signInProblemPage({
        title: "The sign-in link could not be sent",
        message: "The server could not send the email just now. Try again in a little while.",
        retryHref: withQuery("/sign-in", authorization.value),
      }),
      503,
    );
  });

  app.get("/sign-in/done", async (c) => {
    const session = await accounts().api.getSession({ headers: c.req.raw.headers });
    if (!session) return c.redirect("/sign-in");
    return c.html(signedInPage(session.user.email));
  });

  app.get(SIGN_IN_FAILED_PATH, (c) => {
    const authorization = readAuthorization(c.req.query());
    const error = c.req.query("error") ?? "invalid_request";
    return c.html(
      signInProblemPage({
        title: "Sign-in failed",
        message: FAILURES[error] ?? FAILURES.invalid_request!,
        retryHref: withQuery("/sign-in", authorization.ok ? authorization.value : undefined),
      }),
      400,
    );
  });

  return app;
}
