import {
  ACK_PATH,
  OPS_PATH,
  type Scheduler,
  SNAPSHOT_PATH,
  SYNC_PATH_PATTERN,
  systemScheduler,
  WS_PATH,
} from "@syncline/protocol";
import {
  AckBuffer,
  Hub,
  type SyncLogger,
  type SyncObserver,
  type SyncStore,
  silentLogger,
} from "@syncline/server-core";
import { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import type { Authenticate } from "./auth.js";
import { syncErrorHandler, syncNotFound } from "./errors.js";
import { ackRoute } from "./routes/ack.js";
import { authenticate } from "./routes/authenticate.js";
import { limitBody } from "./routes/body.js";
import type { SyncEnv } from "./routes/context.js";
import { protocolVersion } from "./routes/protocol-version.js";
import { pullRoute } from "./routes/pull.js";
import { pushRoute } from "./routes/push.js";
import { snapshotRoute } from "./routes/snapshot.js";
import { wsHandshake, wsRoute } from "./routes/ws.js";

/** Options of {@link createSyncRoutes}. */
export interface SyncRoutesOptions {
  /** The op log (e.g. `new PgSyncStore({ pool })`). */
  store: SyncStore;
  /** Resolves each request to its user and device (e.g. `jwtAuth(...)`). */
  auth: Authenticate;
  /**
   * The runtime's WebSocket helper (`createNodeWebSocket({ app }).upgradeWebSocket`
   * from `@hono/node-ws`, or Bun's/Deno's). Without it, `/sync/ws` is not served.
   */
  upgradeWebSocket?: UpgradeWebSocket;
  /** Fan-out hub; pass your own to feed it NOTIFYs from other processes. @default a new Hub */
  hub?: Hub;
  /** ACK buffer; pass your own to flush it on shutdown and hand it to compaction. @default a new, started AckBuffer */
  acks?: AckBuffer;
  /** Largest accepted request body in bytes. @default MAX_BODY_BYTES (8 MiB) */
  maxBodyBytes?: number;
  /** Metrics hooks. */
  observer?: SyncObserver;
  /** Structured logger (pino-compatible). @default silent */
  logger?: SyncLogger;
  /**
   * Time source of every server-side timer the routes start: token expiry,
   * the ping allowance, and the default hub and ACK buffer.
   * @default systemScheduler
   */
  scheduler?: Scheduler;
}

/**
 * The sync endpoints as a Hono app, mountable under any prefix:
 * `POST /sync/ops`, `GET /sync/ops`, `GET /sync/snapshot`, `POST /sync/ack`,
 * `GET /sync/ws`.
 * @example
 * const app = new Hono();
 * const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app });
 * app.route("/", createSyncRoutes({ store, auth: jwtAuth({ jwksUrl }), upgradeWebSocket }));
 * injectWebSocket(serve({ fetch: app.fetch, port: 8787 }));
 */
export function createSyncRoutes(options: SyncRoutesOptions): Hono<SyncEnv> {
  const { store, auth } = options;
  const logger = options.logger ?? silentLogger;
  const observer = options.observer ?? {};
  const scheduler = options.scheduler ?? systemScheduler;
  const hub = options.hub ?? new Hub({ store, observer, logger, scheduler });
  const acks =
    options.acks ??
    (() => {
      const buffer = new AckBuffer({ store, logger, scheduler });
      buffer.start();
      return buffer;
    })();

  const app = new Hono<SyncEnv>();
  app.onError(syncErrorHandler(logger, observer));
  app.notFound(syncNotFound);
  app.use(SYNC_PATH_PATTERN, protocolVersion);
  const body = limitBody(options.maxBodyBytes);
  app.post(OPS_PATH, body, authenticate(auth, false), pushRoute(store, hub, observer));
  app.get(OPS_PATH, authenticate(auth, false), pullRoute(store, observer));
  app.get(SNAPSHOT_PATH, authenticate(auth, false), snapshotRoute(store));
  app.post(ACK_PATH, body, authenticate(auth, false), ackRoute(store, acks));
  if (options.upgradeWebSocket) {
    app.get(
      WS_PATH,
      authenticate(auth, true),
      wsHandshake,
      wsRoute(options.upgradeWebSocket, { store, hub, acks, logger, scheduler }),
    );
  }
  return app;
}
