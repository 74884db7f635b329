export { AckBuffer, type AckBufferOptions, type PendingAck } from "./ack-buffer.js";
export {
  type AuthContext,
  type Authenticate,
  type AuthRequest,
  type JwtAuthOptions,
  jwtAuth,
} from "./auth.js";
export { createSyncRoutes, type SyncRoutesOptions } from "./create-sync-routes.js";
export { syncErrorHandler, syncNotFound } from "./errors.js";
export { Hub, type HubOptions, type HubSocket, SLOW_CONSUMER_CLOSE_CODE } from "./hub.js";
export { type SyncLogger, type SyncObserver, silentLogger } from "./observer.js";
export type { SyncEnv } from "./routes/context.js";
export {
  INVALID_FRAME_CLOSE_CODE,
  RESYNC_CLOSE_CODE,
  TOKEN_EXPIRED_CLOSE_CODE,
} from "./routes/ws.js";
export type { SyncStore } from "./store.js";
