import { createHash, randomBytes } from "node:crypto";
import type { SessionCredential } from "./credential-store.js";

/** The app's loopback path the browser comes back to after the sign-in (RFC 8252 §7.3). */
export const SIGN_IN_CALLBACK_PATH = "/auth/callback";

/** A sign-in under way: what the app must keep until the browser comes back. */
export interface PendingSignIn {
  readonly serverUrl: string;
  readonly redirectUri: string;
  /** Sent with the request and checked on the way back. */
  readonly state: string;
  /** The PKCE secret (RFC 7636); only its S256 hash went to the browser. */
  readonly verifier: string;
  /** The server's sign-in page, with the loopback redirect, the state and the challenge. */
  readonly browserUrl: string;
}

/** Why a sign-in did not complete, in words for the user. */
export class SignInError extends Error {
  override readonly name = "SignInError";
}

/**
 * Starts a native sign-in at `serverUrl` (RFC 8252 with PKCE S256): a fresh
 * state and verifier, and the sign-in page URL for the system browser.
 * @param redirectUri the app's loopback callback, e.g. `http://127.0.0.1:PORT/auth/callback`
 */
export function beginNativeSignIn(serverUrl: string, redirectUri: string): PendingSignIn {
  const state = randomBytes(24).toString("base64url");
  const verifier = randomBytes(32).toString("base64url");
  const browserUrl = new URL("/sign-in", serverUrl);
  browserUrl.search = new URLSearchParams({
    redirect_uri: redirectUri,
    state,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();
  return { serverUrl, redirectUri, state, verifier, browserUrl: browserUrl.toString() };
}

/**
 * Exchanges the code the browser brought back for the session credential.
 * @throws SignInError when the server refuses (a used or expired code) or cannot be reached
 */
export async function exchangeSignInCode(
  pending: PendingSignIn,
  code: string,
  fetchFn: typeof fetch = fetch,
): Promise<SessionCredential> {
  let response: Response;
  try {
    response = await fetchFn(new URL("/api/auth/native/token", pending.serverUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        code,
        code_verifier: pending.verifier,
        redirect_uri: pending.redirectUri,
      }),
    });
  } catch (error) {
    throw new SignInError(`The server cannot be reached: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => null)) as {
    session_token?: unknown;
    user?: { id?: unknown; email?: unknown };
    error_description?: unknown;
  } | null;
  if (
    !response.ok ||
    typeof body?.session_token !== "string" ||
    typeof body.user?.id !== "string" ||
    typeof body.user.email !== "string"
  ) {
    const reason =
      typeof body?.error_description === "string"
        ? body.error_description
        : `status ${response.status}`;
    throw new SignInError(`The server did not complete the sign-in: ${reason}`);
  }
  return {
    serverUrl: pending.serverUrl,
    sessionToken: body.session_token,
    userId: body.user.id,
    email: body.user.email,
  };
}

/**
 * Ends the session on the server (Better Auth's sign-out with the session as
 * bearer). A server out of reach is not an error: the credential is removed
 * on this machine anyway, and the session expires on its own.
 * @returns whether the server confirmed it
 */
export async function revokeSession(
  credential: SessionCredential,
  fetchFn: typeof fetch = fetch,
): Promise<boolean> {
  try {
    const response = await fetchFn(new URL("/api/auth/sign-out", credential.serverUrl), {
      method: "POST",
      headers: {
        authorization: `Bearer ${credential.sessionToken}`,
        "content-type": "application/json",
      },
      body: "{}",
    });
    return response.ok;
  } catch {
    return false;
  }
}
