import type { Server as HttpServer } from "node:http";
import { serve } from "@hono/node-server";
import { createSyncRoutes, jwtAuth, syncErrorHandler, syncNotFound } from "@syncline/hono";
import {
  answerFlushRequests,
  PgNotifier,
  PgSyncStore,
  runCompaction,
  SERVER_LISTENER_NAME,
} from "@syncline/pg-store";
import {
  type Cancel,
  MAX_CLIENT_FRAME_BYTES,
  type Scheduler,
  systemScheduler,
} from "@syncline/protocol";
import { AckBuffer, Hub } from "@syncline/server-core";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import pg from "pg";
import type pino from "pino";
import {
  type Accounts,
  createAccounts,
  loadAuthSecret,
  signInLinkMinutes,
} from "./auth/accounts.js";
import { createMagicLinkMailer } from "./auth/mailer.js";
import { signInRoutes } from "./auth/sign-in-routes.js";
import type { ServerConfig } from "./config.js";
import { msUntilDaily } from "./daily.js";
import { openDatabase } from "./database.js";
import { createMetrics } from "./metrics.js";
import { migrateServer } from "./migrate.js";
import { createNodeWebSocket } from "./node-websocket.js";
import { loadSigningKey } from "./signing-key.js";

/**
 * How long an idle keep-alive connection stays open (R67): above the 60 s of
 * common load balancers and the 4–5 s of client pools, so the server is not
 * the side that closes a connection a client is about to reuse.
 */
export const IDLE_CONNECTION_TIMEOUT_MS = 65_000;

/** A running server. */
export interface SyncServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly port: number;
  /** Graceful shutdown: stop accepting, flush ACKs, close sockets, stop embedded Postgres. */
  stop(): Promise<void>;
}

/**
 * Starts the whole server: database (embedded unless `databaseUrl`),
 * migrations, sync routes, fan-out across processes, ACK flushing, nightly
 * compaction, `/healthz`, `/metrics` and `/.well-known/jwks.json`.
 * @param scheduler the clock of every server-side timer: token expiry, ACK
 * flushes, fan-out waits, the nightly compaction @default systemScheduler
 */
export async function startServer(
  config: ServerConfig,
  logger: pino.Logger,
  scheduler: Scheduler = systemScheduler,
): Promise<SyncServer> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const pool = new pg.Pool({ connectionString: database.url, max: 20 });
  pool.on("error", (error) => logger.error({ err: error }, "idle database connection failed"));
  await migrateServer(pool, config);

  const metrics = createMetrics();
  const key = await loadSigningKey(config.dataDir);
  const auth = jwtAuth({
    ...(config.jwksUrl ? { jwksUrl: config.jwksUrl } : { jwks: key.jwks }),
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
    now: () => scheduler.now(),
  });

  const notifier = new PgNotifier({
    pool,
    createClient: () =>
      new pg.Client({ connectionString: database.url, application_name: SERVER_LISTENER_NAME }),
    onError: (error) => logger.warn({ err: error }, "notification connection failed; reconnecting"),
    onReconnect: () => void fanOut.catchUp(),
  });
  const store = new PgSyncStore({ pool, notifier });
  const fanOut = new Hub({ store, observer: metrics.observer, logger, scheduler });
  const acks = new AckBuffer({ store, flushIntervalMs: config.ackFlushMs, logger, scheduler });
  acks.start();
  const unsubscribers = [
    // This process's own pushes reach the hub from the push route (Hub.pushed).
    await store.onPush((notice) => {
      if (notice.origin !== store.origin) fanOut.notify(notice.user_id, notice.max_id);
    }),
    await answerFlushRequests(notifier, acks),
  ];

  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({
    app,
    // R34: ws refuses (1009) a client frame over the cap before buffering it.
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    onError: (error) => logger.error({ err: error }, "socket handler failed"),
  });
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        reqId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  });
  app.onError(syncErrorHandler(logger, metrics.observer));
  app.notFound(syncNotFound);
  app.get("/healthz", async (c) => {
    try {
      await pool.query("SELECT 1");
      return c.json({ status: "ok" });
    } catch {
      return c.json({ status: "unavailable", message: "database unreachable" }, 503);
    }
  });
  app.get("/metrics", async (c) =>
    c.text(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );
  app.get("/.well-known/jwks.json", (c) => c.json(key.jwks));
  // Accounts (sign-in, sessions, access tokens) unless tokens come from another issuer.
  // Made as soon as the server's URL is known, in the same tick as `listening`:
  // no request can come before.
  let accounts: Accounts | undefined;
  const authSecret = config.jwksUrl ? "" : await loadAuthSecret(config.dataDir, config.authSecret);
  const mailer = createMagicLinkMailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    logger,
  });
  if (!config.jwksUrl) {
    app.route(
      "/",
      signInRoutes({
        accounts: () => {
          if (!accounts) throw new Error("accounts are not ready");
          return accounts;
        },
        linkMinutes: signInLinkMinutes({ signInLinkTtlSeconds: config.signInLinkTtlSeconds }),
      }),
    );
  }
  app.route(
    "/",
    createSyncRoutes({
      scheduler,
      store,
      auth,
      upgradeWebSocket,
      hub: fanOut,
      acks,
      observer: metrics.observer,
      logger,
    }),
  );

  const compact = async () => {
    try {
      const outcome = await runCompaction({
        scheduler,
        pool,
        store,
        notifier,
        acks,
        staleAfterMs: config.staleDeviceAfterMs,
        flushWaitMs: config.flushWaitMs,
      });
      if (outcome.result === "ok") {
        metrics.compacted("ok", outcome.report.deleted);
        logger.info(
          { users: outcome.report.users.length, deleted: outcome.report.deleted },
          "compaction done",
        );
      } else {
        metrics.compacted("skipped");
        logger.info({ reason: outcome.reason }, "compaction skipped");
      }
    } catch (error) {
      metrics.compacted("failed");
      logger.error({ err: error }, "compaction failed");
    }
  };
  let cancelCompaction: Cancel | undefined;
  const scheduleCompaction = () => {
    if (!config.compactionAt) return;
    const wait = msUntilDaily(config.compactionAt, new Date(scheduler.now()));
    cancelCompaction = scheduler.schedule(wait, () => void compact().then(scheduleCompaction), {
      keepAlive: false,
    });
  };
  scheduleCompaction();

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  // R67: keep idle connections longer than clients and proxies reuse them
  // (Node's 5 s default races them); headers must be allowed a little longer.
  const http = server as HttpServer; // serve() makes a node:http server unless told otherwise
  http.keepAliveTimeout = IDLE_CONNECTION_TIMEOUT_MS;
  http.headersTimeout = IDLE_CONNECTION_TIMEOUT_MS + 1000;
  injectWebSocket(http);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  if (!config.jwksUrl) {
    accounts = createAccounts({
      pool,
      baseUrl: config.publicUrl ?? url,
      secret: authSecret,
      signingKey: key,
      mailer,
      signInRequestsPerMinute: config.signInPerMinute,
      signInLinkTtlSeconds: config.signInLinkTtlSeconds,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    });
    if (mailer.delivery === "log") {
      logger.warn(
        "no SMTP configured (SYNCLINE_SMTP_URL): sign-in links are printed in this log instead of emailed",
      );
    }
  }
  logger.info({ url, port, embeddedDatabase: database.startedEmbedded }, "listening");

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopping ??= (async () => {
        cancelCompaction?.();
        fanOut.closeAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ("closeIdleConnections" in server) server.closeIdleConnections();
        });
        await acks.stop();
        for (const unsubscribe of unsubscribers) await unsubscribe();
        await notifier.close();
        await store.close();
        await pool.end();
        await database.release();
        logger.info("stopped");
      })();
      return stopping;
    },
  };
}
