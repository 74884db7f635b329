export {
  type AuthContext,
  type Authenticate,
  type AuthRequest,
  type JwtAuthOptions,
  jwtAuth,
} from "./auth.js";
export { createSyncRoutes, type SyncRoutesOptions } from "./create-sync-routes.js";
export { syncErrorHandler, syncNotFound } from "./errors.js";
export type { SyncEnv } from "./routes/context.js";
