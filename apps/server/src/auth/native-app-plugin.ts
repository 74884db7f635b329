import { randomBytes } from "node:crypto";
import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthEndpoint, getSessionFromCtx } from "better-auth/api";
import { deleteSessionCookie } from "better-auth/cookies";
import {
  authorizationQuery,
  NATIVE_CODE_TTL_SECONDS,
  NativeAuthorizationSchema,
  NativeTokenRequestSchema,
  s256Challenge,
} from "./native-app.js";

/** Where the browser is sent when a native sign-in cannot complete (a page of `sign-in-pages.ts`). */
export const SIGN_IN_FAILED_PATH = "/sign-in/failed";

const codeIdentifier = (code: string) => `native-app-code:${s256Challenge(code)}`;

interface PendingCode {
  readonly userId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
}

function invalidGrant(description: string): APIError {
  return new APIError("BAD_REQUEST", {
    error: "invalid_grant",
    error_description: description,
    message: description,
  });
}

/**
 * Native-app sign-in on Better Auth's session API, the way RFC 8252 has it
 * (authorization code with PKCE S256 to a loopback redirect):
 * - `GET /native/complete`: where the magic link's verification lands. It
 *   turns the browser's new session into a one-time code (kept hashed in
 *   Better Auth's `verification` table for {@link NATIVE_CODE_TTL_SECONDS}),
 *   ends that browser session, and sends the browser to the app's loopback
 *   `redirect_uri` with the code and the app's `state`.
 * - `POST /native/token`: the app exchanges the code with its PKCE verifier
 *   and the same `redirect_uri` for a session of its own: a long-lived,
 *   revocable session token. The code is burned by the first exchange,
 *   whatever its outcome, so a wrong verifier makes it useless.
 */
export function nativeAppSignIn(): BetterAuthPlugin {
  return {
    id: "syncline-native-app",
    endpoints: {
      nativeComplete: createAuthEndpoint(
        "/native/complete",
        { method: "GET", requireHeaders: true },
        async (ctx) => {
          const authorization = NativeAuthorizationSchema.safeParse(ctx.query ?? {});
          const failed = (error: string) => {
            const url = new URL(SIGN_IN_FAILED_PATH, ctx.context.baseURL);
            url.searchParams.set("error", error);
            if (authorization.success) url.search += `&${authorizationQuery(authorization.data)}`;
            return ctx.redirect(url.toString());
          };
          if (!authorization.success) throw failed("invalid_request");
          const browser = await getSessionFromCtx(ctx);
          if (!browser) throw failed("not_signed_in");
          const code = randomBytes(32).toString("base64url");
          const pending: PendingCode = {
            userId: browser.user.id,
            redirectUri: authorization.data.redirect_uri,
            codeChallenge: authorization.data.code_challenge,
          };
          await ctx.context.internalAdapter.createVerificationValue({
            identifier: codeIdentifier(code),
            value: JSON.stringify(pending),
            expiresAt: new Date(Date.now() + NATIVE_CODE_TTL_SECONDS * 1000),
          });
          // The browser only carried the sign-in: its session ends here.
          await ctx.context.internalAdapter.deleteSession(browser.session.token);
          deleteSessionCookie(ctx);
          const back = new URL(authorization.data.redirect_uri);
          back.searchParams.set("code", code);
          back.searchParams.set("state", authorization.data.state);
          throw ctx.redirect(back.toString());
        },
      ),
      nativeToken: createAuthEndpoint(
        "/native/token",
        { method: "POST", body: NativeTokenRequestSchema },
        async (ctx) => {
          const { code, code_verifier, redirect_uri } = ctx.body;
          // Consumed first: a code works once, even when this exchange fails.
          const stored = await ctx.context.internalAdapter.consumeVerificationValue(
            codeIdentifier(code),
          );
          if (!stored || stored.expiresAt.getTime() < Date.now()) {
            throw invalidGrant("The code is unknown, expired or already used: sign in again.");
          }
          const pending = JSON.parse(stored.value) as PendingCode;
          if (pending.redirectUri !== redirect_uri) {
            throw invalidGrant("redirect_uri differs from the one the sign-in began with.");
          }
          if (s256Challenge(code_verifier) !== pending.codeChallenge) {
            throw invalidGrant("code_verifier does not match the code_challenge.");
          }
          const user = await ctx.context.internalAdapter.findUserById(pending.userId);
          if (!user) throw invalidGrant("The account no longer exists.");
          const session = await ctx.context.internalAdapter.createSession(user.id);
          return ctx.json({
            session_token: session.token,
            expires_at: session.expiresAt.toISOString(),
            user: { id: user.id, email: user.email },
          });
        },
      ),
    },
    rateLimit: [{ pathMatcher: (path) => path === "/native/token", window: 60, max: 20 }],
  } satisfies BetterAuthPlugin;
}
