import {
  MIN_SUPPORTED_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  SyncError,
} from "@syncline/protocol";
import type { MiddlewareHandler } from "hono";

/** Whether a `syncline-protocol-version` header names a version in the supported supportedVersions. */
function isSupported(asked: string): boolean {
  const version = /^\d+$/.test(asked.trim()) ? Number(asked) : Number.NaN;
  return version >= MIN_SUPPORTED_PROTOCOL_VERSION && version <= PROTOCOL_VERSION;
}

const supportedVersions =
  MIN_SUPPORTED_PROTOCOL_VERSION === PROTOCOL_VERSION
    ? String(PROTOCOL_VERSION)
    : `${MIN_SUPPORTED_PROTOCOL_VERSION} to ${PROTOCOL_VERSION}`;

/**
 * Sends `syncline-protocol-version` on every response, and refuses a request
 * that announces a version outside the supported supportedVersions
 * (`MIN_SUPPORTED_PROTOCOL_VERSION`..`PROTOCOL_VERSION`, R65) with 400
 * `invalid_request`.
 */
export const protocolVersion: MiddlewareHandler = async (c, next) => {
  const asked = c.req.header(PROTOCOL_VERSION_HEADER);
  c.header(PROTOCOL_VERSION_HEADER, String(PROTOCOL_VERSION));
  if (asked !== undefined && !isSupported(asked)) {
    throw new SyncError(
      {
        type: "invalid_request",
        message: `protocol version ${asked} is not supported; this server speaks ${supportedVersions}`,
        issues: [
          {
            path: [PROTOCOL_VERSION_HEADER],
            message: `must be ${supportedVersions}`,
            code: "invalid_value",
          },
        ],
      },
      400,
    );
  }
  await next();
};
