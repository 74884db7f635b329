import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { bearer, jwt, magicLink } from "better-auth/plugins";
import type pg from "pg";
import { readOrCreateSecretFile } from "../secret-file.js";
import type { SigningKey } from "../signing-key.js";
import type { MagicLinkMailer } from "./mailer.js";
import { nativeAppSignIn } from "./native-app-plugin.js";

/** Where Better Auth is mounted. */
export const AUTH_BASE_PATH = "/api/auth";

/**
 * The header Better Auth reads the client's address from (for its rate
 * limits). The server sets it from the socket on every request to the auth
 * routes, replacing whatever a client sent.
 */
export const CLIENT_IP_HEADER = "x-syncline-client-ip";

/** How long a sign-in link works by default, in seconds. */
export const DEFAULT_SIGN_IN_LINK_TTL_SECONDS = 600;

/** How long an access token (the JWT the sync routes take) lives by default, in seconds. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/** How long a signed-in app's session lives without use (each use extends it by a day at most once a day). */
export const SESSION_TTL_SECONDS = 90 * 86_400;

/** What {@link createAccounts} needs. */
export interface AccountsOptions {
  readonly pool: pg.Pool;
  /** The server's public base URL (links in emails, JWT `iss`/`aud`, the JWKS URL). */
  readonly baseUrl: string;
  /** Better Auth's secret (cookies, encrypted values). */
  readonly secret: string;
  /** The key `syncline-server token` signs with: Better Auth's JWTs are signed with it too. */
  readonly signingKey: SigningKey;
  readonly mailer: MagicLinkMailer;
  /** Sign-in requests per minute from one address. @default 5 */
  readonly signInRequestsPerMinute?: number;
  /** How long a sign-in link works. @default DEFAULT_SIGN_IN_LINK_TTL_SECONDS */
  readonly signInLinkTtlSeconds?: number;
  /** How long an access token lives. @default DEFAULT_ACCESS_TOKEN_TTL_SECONDS */
  readonly accessTokenTtlSeconds?: number;
}

/** How long a sign-in link works, in whole minutes as emails and pages say it (at least 1). */
export function signInLinkMinutes(options: Pick<AccountsOptions, "signInLinkTtlSeconds">): number {
  return Math.max(
    1,
    Math.round((options.signInLinkTtlSeconds ?? DEFAULT_SIGN_IN_LINK_TTL_SECONDS) / 60),
  );
}

/**
 * Better Auth for this server: magic-link sign-in, sessions on the server's
 * PostgreSQL with UUID user ids (the op log keys on them), bearer sessions
 * for apps, native-app sign-in (`native-app-plugin.ts`), and its JWT plugin
 * issuing short-lived EdDSA access tokens signed with the server's own key,
 * so `/.well-known/jwks.json` verifies every token, minted here or by
 * `syncline-server token`, on one path.
 */
export function createAccounts(options: AccountsOptions) {
  const { pool, baseUrl, secret, signingKey, mailer } = options;
  return betterAuth({
    baseURL: baseUrl,
    basePath: AUTH_BASE_PATH,
    secret,
    database: pool,
    trustedOrigins: [new URL(baseUrl).origin],
    session: { expiresIn: SESSION_TTL_SECONDS, updateAge: 86_400 },
    advanced: {
      database: { generateId: "uuid" },
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      useSecureCookies: baseUrl.startsWith("https:"),
    },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 100,
      customRules: {
        "/sign-in/magic-link": { window: 60, max: options.signInRequestsPerMinute ?? 5 },
        // Opening links: a few tries per link asked for.
        "/magic-link/verify": { window: 60, max: 4 * (options.signInRequestsPerMinute ?? 5) },
      },
    },
    telemetry: { enabled: false },
    plugins: [
      magicLink({
        expiresIn: options.signInLinkTtlSeconds ?? DEFAULT_SIGN_IN_LINK_TTL_SECONDS,
        storeToken: "hashed",
        sendMagicLink: ({ email, url }) => mailer.send(email, url, signInLinkMinutes(options)),
      }),
      bearer(),
      jwt({
        disableSettingJwtHeader: true,
        jwks: { remoteUrl: `${baseUrl}/.well-known/jwks.json`, keyPairConfig: { alg: "EdDSA" } },
        jwt: {
          expirationTime: `${options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS}s`,
          // `sub` (the user id) is all the sync routes read; no profile data in tokens.
          definePayload: () => ({}),
          sign: (payload) => signingKey.signPayload(payload),
        },
      }),
      nativeAppSignIn(),
    ],
  });
}

/** The Better Auth instance of {@link createAccounts}. */
export type Accounts = ReturnType<typeof createAccounts>;

/** The advisory lock that makes servers starting at once take turns at the accounts' migrations. */
const ACCOUNTS_MIGRATION_LOCK_KEY = 0x5359_4e41; // "SYNA"

/**
 * Creates or updates Better Auth's tables (users, sessions, verifications,
 * JWKS, rate limits). Safe when several processes start at once: they take
 * turns on a session advisory lock.
 */
export async function migrateAccounts(pool: pg.Pool): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [ACCOUNTS_MIGRATION_LOCK_KEY]);
    await runAccountsMigrations(pool);
  } finally {
    await lock
      .query("SELECT pg_advisory_unlock($1)", [ACCOUNTS_MIGRATION_LOCK_KEY])
      .catch(() => {});
    lock.release();
  }
}

async function runAccountsMigrations(pool: pg.Pool): Promise<void> {
  // The schema depends on the plugins only: no key, mail or URL is used.
  const unused = () => {
    throw new Error("not used by migrations");
  };
  const accounts = createAccounts({
    pool,
    baseUrl: "http://127.0.0.1",
    secret: randomBytes(32).toString("base64url"),
    signingKey: { jwks: { keys: [] }, sign: unused, signPayload: unused },
    mailer: { delivery: "log", send: unused },
  });
  const { runMigrations } = await getMigrations(accounts.options);
  await runMigrations();
}

/** Better Auth's secret: `BETTER_AUTH_SECRET` when set, else one made on first start and kept in the data dir (0600). */
export async function loadAuthSecret(
  dataDir: string,
  fromEnv: string | undefined,
): Promise<string> {
  if (fromEnv) return fromEnv;
  const stored = await readOrCreateSecretFile(join(dataDir, "auth-secret.json"), async () => ({
    secret: randomBytes(32).toString("base64url"),
  }));
  return stored.secret;
}
