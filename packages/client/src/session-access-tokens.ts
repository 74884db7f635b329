import { type Scheduler, systemScheduler } from "@syncline/protocol";
import { RefreshUnavailableError } from "./transport.js";

/** Where Syncline's server hands out access tokens for a session (Better Auth's JWT plugin). */
export const ACCESS_TOKEN_PATH = "/api/auth/token";

/** What a `refreshToken` from {@link sessionAccessTokens} throws once the session is signed out, revoked or expired. */
export class SessionEndedError extends Error {
  override readonly name = "SessionEndedError";
}

/** Options of {@link sessionAccessTokens}. */
export interface SessionAccessTokensOptions {
  /** The Syncline server's base URL, e.g. `https://sync.example.com`. */
  readonly url: string | URL;
  /** The session credential the sign-in gave (sent as `Authorization: Bearer …`). */
  readonly sessionToken: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** A token is renewed this long before its `exp`. @default 60_000 */
  readonly renewBeforeMs?: number;
  /** The clock that judges `exp`. @default systemScheduler */
  readonly scheduler?: Scheduler;
}

/** Access tokens for one session: what `createSyncClient`'s `token` and `refreshToken` take. */
export interface SessionAccessTokens {
  /**
   * A token to send: the last one while it has more than `renewBeforeMs`
   * left, else a fresh one.
   * @throws SessionEndedError when the server no longer accepts the session
   * @throws RefreshUnavailableError when the server cannot be reached
   */
  token(): Promise<string>;
  /** A fresh token (the last one was refused): the `refreshToken` hook. Throws as {@link token}. */
  refreshToken(): Promise<string>;
}

/** The `exp` of a JWT in ms, or 0 when it cannot be read (so it is renewed at once). */
function expiresAtMs(jwt: string): number {
  try {
    const payload = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (c) =>
          c.charCodeAt(0),
        ),
      ),
    ) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/**
 * Short-lived access tokens from a long-lived session credential, for a
 * Syncline server with accounts (`GET /api/auth/token` with the session as
 * bearer). One request is in flight at a time: concurrent callers share it.
 * A 401 or 403 means the session ended (signed out, revoked, expired):
 * {@link SessionEndedError}, which puts a client in `error` with
 * `auth_required`; no answer or a 5xx is {@link RefreshUnavailableError},
 * which the client retries with backoff. Queued edits are never touched: the
 * client retries the refused request with the new token.
 * @example
 * const tokens = sessionAccessTokens({ url, sessionToken });
 * const client = createSyncClient({
 *   store, transport: createHttpTransport({ url }),
 *   token: await tokens.token(), refreshToken: tokens.refreshToken,
 * });
 */
export function sessionAccessTokens(options: SessionAccessTokensOptions): SessionAccessTokens {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const scheduler = options.scheduler ?? systemScheduler;
  const renewBeforeMs = options.renewBeforeMs ?? 60_000;
  const endpoint = new URL(ACCESS_TOKEN_PATH, options.url);
  let current: { token: string; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    let response: Response;
    try {
      response = await fetchFn(endpoint, {
        headers: { authorization: `Bearer ${options.sessionToken}`, accept: "application/json" },
      });
    } catch (error) {
      throw new RefreshUnavailableError(
        `cannot reach ${endpoint.origin}: ${(error as Error).message}`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new SessionEndedError("the session was signed out or has expired: sign in again");
    }
    const body = (await response.json().catch(() => null)) as { token?: unknown } | null;
    if (!response.ok || typeof body?.token !== "string") {
      throw new RefreshUnavailableError(`${endpoint.pathname} answered ${response.status}`);
    }
    current = { token: body.token, expiresAt: expiresAtMs(body.token) };
    return body.token;
  };

  const refreshToken = (): Promise<string> => {
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    refreshToken,
    async token() {
      if (current && current.expiresAt - renewBeforeMs > scheduler.now()) return current.token;
      return refreshToken();
    },
  };
}
