#!/usr/bin/env node
import { parseArgs } from "node:util";
import { migratePgStore, PgNotifier, PgSyncStore, runCompaction } from "@syncline/pg-store";
import { UuidSchema } from "@syncline/protocol";
import pg from "pg";
import { ConfigError, loadConfig, type ServerConfig } from "./config.js";
import { openDatabase } from "./database.js";
import { parseDuration } from "./duration.js";
import { createLogger } from "./logger.js";
import { migrateServer } from "./migrate.js";
import { startServer } from "./server.js";
import { loadSigningKey } from "./signing-key.js";

const ENVIRONMENT = `Environment:
  PORT                         port to listen on (default 8787; 0 = any free port)
  HOST                         address to listen on (default 127.0.0.1)
  DATABASE_URL                 PostgreSQL to use; absent: an embedded PostgreSQL in the data dir
  SYNCLINE_DATA_DIR            data dir: embedded PostgreSQL, signing key (default ./.syncline)
  SYNCLINE_JWKS_URL            verify tokens against this JWKS instead of the local signing key
  SYNCLINE_JWT_ISSUER          required iss claim (optional)
  SYNCLINE_JWT_AUDIENCE        required aud claim (optional)
  SYNCLINE_ACK_FLUSH_MS        ACK flush interval in ms (default 5000)
  SYNCLINE_STALE_DEVICE_AFTER  a device silent this long stops holding compaction back (default 90d)
  SYNCLINE_COMPACTION_AT       daily compaction time HH:MM UTC, or off (default 03:00)
  SYNCLINE_FLUSH_WAIT_MS       how long compaction waits for servers to flush ACKs (default 2000)
  LOG_LEVEL                    fatal|error|warn|info|debug|trace|silent (default info)
  SYNCLINE_PUBLIC_URL          the URL users reach the server at, for sign-in links (default: the listening address)
  SYNCLINE_SMTP_URL            smtp(s)://user:pass@host:port for sign-in emails; absent: links are printed in the log
                               (required with NODE_ENV=production)
  SYNCLINE_MAIL_FROM           From of sign-in emails (default "Syncline <no-reply@localhost>")
  BETTER_AUTH_SECRET           accounts secret, 32+ characters (default: made on first start, in the data dir)
  SYNCLINE_SIGN_IN_LINK_TTL    how long a sign-in link works (default 10m)
  SYNCLINE_SIGN_IN_PER_MINUTE  sign-in links one address may ask for per minute (default 5)
  SYNCLINE_ACCESS_TOKEN_TTL    lifetime of access tokens from /api/auth/token (default 15m)`;

const HELP: Record<string, string> = {
  main: `Usage: syncline-server [command] [options]

Commands:
  serve      run the sync server (default)
  migrate    apply database migrations and exit
  compact    compact the op log now and exit
  token      print a JWT the server accepts (local signing key)

Run 'syncline-server <command> --help' for a command's options.

${ENVIRONMENT}`,
  serve: `Usage: syncline-server serve

Runs the HTTP + WebSocket sync server. Migrations run on start. SIGTERM/SIGINT
shut it down gracefully.

${ENVIRONMENT}`,
  migrate: `Usage: syncline-server migrate

Applies the database migrations (safe while servers run) and exits.`,
  compact: `Usage: syncline-server compact [--now ISO-8601] [--stale-after DURATION]

Compacts every user's log once, whether or not servers run on the database:
running servers first flush their buffered ACKs.

Options:
  --now ISO-8601          judge device freshness as of this time (default: now)
  --stale-after DURATION  e.g. 90d, 12h, 30s (default: SYNCLINE_STALE_DEVICE_AFTER)`,
  token: `Usage: syncline-server token --user UUID [--device UUID] [--ttl DURATION]

Prints only a JWT signed with the server's local key (in SYNCLINE_DATA_DIR).

Options:
  --user UUID        the user (token sub)
  --device UUID      the device (device_id claim); else clients send X-Device-Id
  --ttl DURATION     lifetime, e.g. 1h, 30d (default 1h)`,
};

class UsageError extends Error {}

function option(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

async function withDatabase<T>(
  config: ServerConfig,
  run: (pool: pg.Pool) => Promise<T>,
): Promise<T> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    exclusive: false,
  });
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  // An idle connection the database ends (the embedded cluster stopping as the
  // command finishes) is no failure of the command; without a listener it would crash it.
  pool.on("error", () => {});
  try {
    return await run(pool);
  } finally {
    await pool.end();
    await database.release();
  }
}

async function serveCommand(config: ServerConfig): Promise<void> {
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

async function migrateCommand(config: ServerConfig): Promise<void> {
  const result = await withDatabase(config, (pool) => migrateServer(pool, config));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function compactCommand(
  config: ServerConfig,
  values: Record<string, unknown>,
): Promise<void> {
  const nowText = option(values, "now");
  const now = nowText === undefined ? new Date() : new Date(nowText);
  if (Number.isNaN(now.getTime()))
    throw new UsageError(`--now must be an ISO-8601 time, got '${nowText}'`);
  const staleText = option(values, "stale-after");
  const staleAfterMs =
    staleText === undefined ? config.staleDeviceAfterMs : parseDuration(staleText);
  if (staleAfterMs === undefined)
    throw new UsageError(`--stale-after must be a duration such as 90d, got '${staleText}'`);
  const outcome = await withDatabase(config, async (pool) => {
    await migratePgStore(pool);
    const notifier = new PgNotifier({ pool });
    const store = new PgSyncStore({ pool, notifier });
    try {
      return await runCompaction({
        pool,
        store,
        notifier,
        now,
        staleAfterMs,
        flushWaitMs: config.flushWaitMs,
      });
    } finally {
      await notifier.close();
    }
  });
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  if (outcome.result === "skipped") process.exitCode = 3;
}

async function tokenCommand(config: ServerConfig, values: Record<string, unknown>): Promise<void> {
  if (config.jwksUrl) {
    throw new UsageError(
      "SYNCLINE_JWKS_URL is set: the server accepts only tokens of that issuer, not local ones",
    );
  }
  const user = option(values, "user");
  if (!UuidSchema.safeParse(user).success) throw new UsageError("--user must be a UUID");
  const device = option(values, "device");
  if (device !== undefined && !UuidSchema.safeParse(device).success)
    throw new UsageError("--device must be a UUID");
  const ttlText = option(values, "ttl") ?? "1h";
  const ttlMs = parseDuration(ttlText);
  if (ttlMs === undefined || ttlMs < 1000)
    throw new UsageError(`--ttl must be a duration of at least 1s, got '${ttlText}'`);
  const key = await loadSigningKey(config.dataDir);
  const token = await key.sign({
    userId: user as string,
    ttlSeconds: Math.round(ttlMs / 1000),
    ...(device ? { deviceId: device } : {}),
  });
  process.stdout.write(`${token}\n`);
}

/**
 * Runs the CLI with `argv` (without node and the script).
 * @returns whether the process keeps running (a server) or is done
 */
export async function main(argv: string[]): Promise<"running" | "done"> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      now: { type: "string" },
      "stale-after": { type: "string" },
      user: { type: "string" },
      device: { type: "string" },
      ttl: { type: "string" },
    },
  });
  const command = positionals[0] ?? "serve";
  if (!(command in HELP) || command === "main" || positionals.length > 1) {
    throw new UsageError(`unknown command '${positionals.join(" ")}'\n\n${HELP.main}`);
  }
  if (values.help) {
    process.stdout.write(`${positionals[0] ? HELP[command] : HELP.main}\n`);
    return "done";
  }
  const config = loadConfig();
  if (command === "serve") {
    await serveCommand(config);
    return "running";
  }
  if (command === "migrate") await migrateCommand(config);
  else if (command === "compact") await compactCommand(config, values);
  else await tokenCommand(config, values);
  return "done";
}

main(process.argv.slice(2)).then(
  (state) => {
    // One-shot commands exit with the code they chose, before any library's
    // exit hook can pick another.
    if (state === "done") process.exit(process.exitCode ?? 0);
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`syncline-server: ${(error as Error).message}\n`);
    process.exit(usage ? 2 : 1);
  },
);
