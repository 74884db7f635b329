import { AUTHORIZATION_HEADER, DEVICE_ID_HEADER } from "@syncline/protocol";
import type { MiddlewareHandler } from "hono";
import type { Authenticate } from "../auth.js";
import type { SyncEnv } from "./context.js";

/** Middleware: authenticates the request and stores the caller in `c.var.auth`. */
export function authenticate(
  auth: Authenticate,
  allowQueryToken: boolean,
): MiddlewareHandler<SyncEnv> {
  return async (c, next) => {
    c.set(
      "auth",
      await auth({
        authorization: c.req.header(AUTHORIZATION_HEADER),
        deviceIdHeader: c.req.header(DEVICE_ID_HEADER),
        query: (name) => c.req.query(name),
        allowQueryToken,
      }),
    );
    await next();
  };
}
