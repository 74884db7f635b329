import { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SyncError } from "@syncline/protocol";
import type { MiddlewareHandler } from "hono";

/**
 * Sends `syncline-protocol-version` on every response, and refuses a request
 * that announces a version this server does not speak (400 `invalid_request`).
 */
export const protocolVersion: MiddlewareHandler = async (c, next) => {
  const asked = c.req.header(PROTOCOL_VERSION_HEADER);
  c.header(PROTOCOL_VERSION_HEADER, String(PROTOCOL_VERSION));
  if (asked !== undefined && asked.trim() !== String(PROTOCOL_VERSION)) {
    throw new SyncError(
      {
        type: "invalid_request",
        message: `protocol version ${asked} is not supported; this server speaks ${PROTOCOL_VERSION}`,
        issues: [
          {
            path: [PROTOCOL_VERSION_HEADER],
            message: `must be ${PROTOCOL_VERSION}`,
            code: "invalid_value",
          },
        ],
      },
      400,
    );
  }
  await next();
};
