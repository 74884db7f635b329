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
export { DEFAULT_MAX_BUFFERED_BYTES, Hub, type HubOptions, type HubSocket } from "./hub.js";
export { type SyncLogger, type SyncObserver, silentLogger } from "./observer.js";
export type { SyncEnv } from "./routes/context.js";
export type { SyncStore } from "./store.js";
