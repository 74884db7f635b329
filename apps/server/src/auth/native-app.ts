import { createHash } from "node:crypto";
import { z } from "zod";

/** How long a native app's one-time code may wait for its exchange. */
export const NATIVE_CODE_TTL_SECONDS = 300;

/**
 * Whether `uri` is a loopback redirect as RFC 8252 §7.3 has native apps use:
 * `http` to the IP literal `127.0.0.1` or `[::1]`, any port, any path, no
 * credentials and no fragment. `localhost` is refused (it may resolve
 * elsewhere), as are every other host and scheme.
 */
export function isLoopbackRedirect(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  return (
    url.protocol === "http:" &&
    (url.hostname === "127.0.0.1" || url.hostname === "[::1]") &&
    url.username === "" &&
    url.password === "" &&
    // Not `url.hash`: it is empty for a bare trailing "#" too.
    !uri.includes("#")
  );
}

const LoopbackRedirectSchema = z
  .string({ error: "redirect_uri is required" })
  .max(2048, { error: "redirect_uri is too long" })
  .refine(isLoopbackRedirect, {
    error:
      "redirect_uri must be a loopback address: http://127.0.0.1:PORT/… or http://[::1]:PORT/…",
  });

/**
 * What a native app sends with the sign-in page (RFC 8252 with PKCE, RFC
 * 7636): where the browser returns, the app's `state`, and its S256 challenge.
 */
export const NativeAuthorizationSchema = z.object({
  redirect_uri: LoopbackRedirectSchema,
  state: z
    .string({ error: "state is required" })
    .regex(/^[\x21-\x7e]{8,512}$/, { error: "state must be 8 to 512 printable characters" }),
  code_challenge: z.string({ error: "code_challenge is required" }).regex(/^[A-Za-z0-9_-]{43}$/, {
    error: "code_challenge must be a base64url SHA-256 (43 characters)",
  }),
  code_challenge_method: z.literal("S256", { error: "code_challenge_method must be S256" }),
});
export type NativeAuthorization = z.infer<typeof NativeAuthorizationSchema>;

/** The body of `POST /api/auth/native/token`: the code, the PKCE verifier and the same redirect. */
export const NativeTokenRequestSchema = z.object({
  code: z.string({ error: "code is required" }).min(1).max(256),
  code_verifier: z
    .string({ error: "code_verifier is required" })
    .regex(/^[A-Za-z0-9._~-]{43,128}$/, {
      error: "code_verifier must be 43 to 128 unreserved characters (RFC 7636)",
    }),
  redirect_uri: z.string({ error: "redirect_uri is required" }).max(2048),
});
export type NativeTokenRequest = z.infer<typeof NativeTokenRequestSchema>;

/** The S256 code challenge of `verifier` (RFC 7636 §4.2): base64url of its SHA-256. */
export function s256Challenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** The authorization's fields as URL query parameters (to carry them through the email's link). */
export function authorizationQuery(authorization: NativeAuthorization): string {
  return new URLSearchParams(authorization).toString();
}
