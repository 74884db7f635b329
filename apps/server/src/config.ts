import { resolve } from "node:path";
import { z } from "zod";
import { parseDuration } from "./duration.js";

const duration = (name: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${name} must be a duration such as 90d, 12h, 30s or 500ms`,
      });
      return z.NEVER;
    }
    return ms;
  });

const positiveInt = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, { error: `${name} must be a whole number` })
    .transform(Number)
    .pipe(z.number().min(1, { error: `${name} must be at least 1` }));

/** Daily compaction time `HH:MM` (UTC), or `off`. */
const schedule = z.string().regex(/^(off|([01]\d|2[0-3]):[0-5]\d)$/, {
  error: "SYNCLINE_COMPACTION_AT must be HH:MM (UTC) or off",
});

/** The server's environment, validated. */
export const ConfigSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, { error: "PORT must be a whole number (0: any free port)" })
    .transform(Number)
    .pipe(z.number().max(65535, { error: "PORT must be at most 65535" }))
    .default(8787),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: "DATABASE_URL must be a postgres:// URL" })
    .optional(),
  SYNCLINE_DATA_DIR: z.string().min(1).default(".syncline"),
  SYNCLINE_JWKS_URL: z.url({ error: "SYNCLINE_JWKS_URL must be a URL" }).optional(),
  SYNCLINE_JWT_ISSUER: z.string().min(1).optional(),
  SYNCLINE_JWT_AUDIENCE: z.string().min(1).optional(),
  SYNCLINE_ACK_FLUSH_MS: positiveInt("SYNCLINE_ACK_FLUSH_MS").default(5000),
  SYNCLINE_STALE_DEVICE_AFTER: duration("SYNCLINE_STALE_DEVICE_AFTER").default(90 * 86_400_000),
  SYNCLINE_COMPACTION_AT: schedule.default("03:00"),
  SYNCLINE_FLUSH_WAIT_MS: positiveInt("SYNCLINE_FLUSH_WAIT_MS").default(2000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  NODE_ENV: z.string().optional(),
  SYNCLINE_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "SYNCLINE_PUBLIC_URL must be an http(s) URL" })
    .optional(),
  SYNCLINE_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, { error: "SYNCLINE_SMTP_URL must be an smtp:// or smtps:// URL" })
    .optional(),
  SYNCLINE_MAIL_FROM: z.string().min(3).default("Syncline <no-reply@localhost>"),
  BETTER_AUTH_SECRET: z
    .string()
    .min(32, { error: "BETTER_AUTH_SECRET must be at least 32 characters" })
    .optional(),
  SYNCLINE_SIGN_IN_LINK_TTL: duration("SYNCLINE_SIGN_IN_LINK_TTL").default(600_000),
  SYNCLINE_SIGN_IN_PER_MINUTE: positiveInt("SYNCLINE_SIGN_IN_PER_MINUTE").default(5),
  SYNCLINE_ACCESS_TOKEN_TTL: duration("SYNCLINE_ACCESS_TOKEN_TTL").default(15 * 60_000),
});

/** The server's configuration. */
export interface ServerConfig {
  port: number;
  host: string;
  /** Absent: an embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  ackFlushMs: number;
  staleDeviceAfterMs: number;
  /** `HH:MM` UTC, or undefined when off. */
  compactionAt: string | undefined;
  /** How long a compaction waits for running servers to flush their ACKs. */
  flushWaitMs: number;
  logLevel: z.infer<typeof ConfigSchema>["LOG_LEVEL"];
  /** The URL users and apps reach the server at (links in sign-in emails); default: the listening address. */
  publicUrl: string | undefined;
  /** Sign-in emails go over this SMTP server; without it the links are printed in the log. */
  smtpUrl: string | undefined;
  /** The sign-in email's `From`. */
  mailFrom: string;
  /** Better Auth's secret; default: one made on first start, in the data dir. */
  authSecret: string | undefined;
  /** How long a sign-in link works, in seconds. */
  signInLinkTtlSeconds: number;
  /** Sign-in links one address may ask for per minute. */
  signInPerMinute: number;
  /** How long an access token from `/api/auth/token` lives, in seconds. */
  accessTokenTtlSeconds: number;
}

/** Thrown for a bad environment; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Reads the configuration from environment variables.
 * @throws ConfigError naming each bad variable
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === "production" && !c.SYNCLINE_SMTP_URL && !c.SYNCLINE_JWKS_URL) {
    throw new ConfigError(
      "invalid configuration:\n  SYNCLINE_SMTP_URL: required with NODE_ENV=production (without it, sign-in links would only be printed in the server's log)",
    );
  }
  return {
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    dataDir: resolve(c.SYNCLINE_DATA_DIR),
    jwksUrl: c.SYNCLINE_JWKS_URL,
    issuer: c.SYNCLINE_JWT_ISSUER,
    audience: c.SYNCLINE_JWT_AUDIENCE,
    ackFlushMs: c.SYNCLINE_ACK_FLUSH_MS,
    staleDeviceAfterMs: c.SYNCLINE_STALE_DEVICE_AFTER,
    compactionAt: c.SYNCLINE_COMPACTION_AT === "off" ? undefined : c.SYNCLINE_COMPACTION_AT,
    flushWaitMs: c.SYNCLINE_FLUSH_WAIT_MS,
    logLevel: c.LOG_LEVEL,
    publicUrl: c.SYNCLINE_PUBLIC_URL?.replace(/\/+$/, ""),
    smtpUrl: c.SYNCLINE_SMTP_URL,
    mailFrom: c.SYNCLINE_MAIL_FROM,
    authSecret: c.BETTER_AUTH_SECRET,
    signInLinkTtlSeconds: Math.max(1, Math.round(c.SYNCLINE_SIGN_IN_LINK_TTL / 1000)),
    signInPerMinute: c.SYNCLINE_SIGN_IN_PER_MINUTE,
    accessTokenTtlSeconds: Math.max(1, Math.round(c.SYNCLINE_ACCESS_TOKEN_TTL / 1000)),
  };
}
