import type { AuthContext } from "../auth.js";

/** Hono environment of the sync routes: the authenticated caller. */
export interface SyncEnv {
  Variables: { auth: AuthContext };
}
