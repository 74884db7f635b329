import {
  ERROR_STATUS,
  type ErrorBody,
  type InvalidRequestError,
  invalidRequest,
  isSyncError,
  SyncError,
} from "@syncline/protocol";
import type { SyncLogger, SyncObserver } from "@syncline/server-core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** A 400/422 `invalid_request` for a zod error. */
export function invalidRequestError(error: z.ZodError, what: string, status: 400 | 422): SyncError {
  return new SyncError<InvalidRequestError>(invalidRequest(error, what), status);
}

/** Answers with a Syncline error body. */
export function errorResponse(
  c: Context,
  body: ErrorBody,
  status: number = ERROR_STATUS[body.type],
) {
  return c.json(body, status as ContentfulStatusCode);
}

/**
 * Hono `onError` handler: `SyncError`s become their documented body and
 * status; anything else is logged and answered `internal` 500, without a
 * stack trace.
 */
export function syncErrorHandler(logger: SyncLogger, observer: SyncObserver = {}) {
  return (error: Error, c: Context) => {
    if (isSyncError(error)) {
      observer.failed?.(error.type);
      return errorResponse(c, error.body, error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const type = error.status === 401 ? "unauthorized" : "invalid_request";
      observer.failed?.(type);
      const body: ErrorBody =
        type === "unauthorized"
          ? { type, message: error.message || "unauthorized" }
          : { type, message: error.message || "invalid request", issues: [] };
      return errorResponse(c, body, error.status);
    }
    logger.error({ err: error, path: c.req.path }, "request failed");
    observer.failed?.("internal");
    return errorResponse(c, { type: "internal", message: "internal server error" });
  };
}

/** Hono `notFound` handler: a `not_found` body. */
export function syncNotFound(c: Context) {
  return errorResponse(c, {
    type: "not_found",
    message: `no route for ${c.req.method} ${c.req.path}`,
  });
}
