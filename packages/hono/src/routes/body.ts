import { MAX_BODY_BYTES, SyncError } from "@syncline/protocol";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { invalidRequestError } from "../errors.js";

/** Refuses bodies over `maxBytes` before reading them: 413 `payload_too_large`. */
export function limitBody(maxBytes: number = MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new SyncError({
        type: "payload_too_large",
        message: `request body exceeds ${maxBytes} bytes`,
        max_bytes: maxBytes,
      });
    },
  });
}

/**
 * Parses the JSON body with `schema`: 400 `invalid_request` when it is not
 * JSON, 422 when it breaks the schema.
 */
export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new SyncError(
      { type: "invalid_request", message: "request body is not valid JSON", issues: [] },
      400,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidRequestError(parsed.error, "body", 422);
  return parsed.data;
}
