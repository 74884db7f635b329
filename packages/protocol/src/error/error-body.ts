import { z } from "zod";
import { CursorSchema } from "../ack.js";
import { StoredLamportTsSchema } from "../op.js";
import { UuidSchema } from "../uuid.js";

/** One problem found in a request, as reported by `invalid_request`. */
export const RequestIssueSchema = z.object({
  /** Where in the body or query, e.g. `["ops", 0, "lamport_ts"]`. */
  path: z.array(z.union([z.string(), z.number()])),
  /** Human-readable reason. */
  message: z.string(),
  /** zod's issue code, e.g. `too_small`. */
  code: z.string(),
});
export type RequestIssue = z.infer<typeof RequestIssueSchema>;

const message = z.string();

/** 400 (unparseable) or 422 (parsed but invalid): the request breaks the schema. */
export const InvalidRequestErrorSchema = z.object({
  type: z.literal("invalid_request"),
  message,
  issues: z.array(RequestIssueSchema),
});

/** 401: missing, malformed, expired or wrongly signed token, or no device id. */
export const UnauthorizedErrorSchema = z.object({ type: z.literal("unauthorized"), message });

/** 404: no such route. */
export const NotFoundErrorSchema = z.object({ type: z.literal("not_found"), message });

/** 413: the body is larger than the server accepts. */
export const PayloadTooLargeErrorSchema = z.object({
  type: z.literal("payload_too_large"),
  message,
  /** The limit, in bytes. */
  max_bytes: z.number().int().positive(),
});

/**
 * 409: an op's `lamport_ts` is not above the highest one stored for the
 * device. Nothing of the batch was stored.
 */
export const LamportConflictErrorSchema = z.object({
  type: z.literal("lamport_conflict"),
  message,
  /** Highest `lamport_ts` stored for the device. */
  max_lamport_ts: StoredLamportTsSchema,
  /** The first op of the batch that broke monotonicity. */
  operation_id: UuidSchema,
});

/**
 * 409: an `operation_id` the server already has came back with a different
 * entity_type, entity_id, op, field or value. A retry may change only
 * `lamport_ts`. Nothing of the batch was stored.
 */
export const OperationIdReusedErrorSchema = z.object({
  type: z.literal("operation_id_reused"),
  message,
  operation_id: UuidSchema,
});

/** 410: `since` lies in a compacted range; wipe op-derived state and pull from 0. */
export const ResyncRequiredErrorSchema = z.object({
  type: z.literal("resync_required"),
  message,
  /** Ops with `id` below this were collapsed. */
  compacted_up_to: CursorSchema,
});

/** 500/503: the server failed; the request may be retried unchanged. */
export const InternalErrorSchema = z.object({ type: z.literal("internal"), message });

/** Every error body a Syncline server sends. */
export const ErrorBodySchema = z.discriminatedUnion("type", [
  InvalidRequestErrorSchema,
  UnauthorizedErrorSchema,
  NotFoundErrorSchema,
  PayloadTooLargeErrorSchema,
  LamportConflictErrorSchema,
  OperationIdReusedErrorSchema,
  ResyncRequiredErrorSchema,
  InternalErrorSchema,
]);

export type InvalidRequestError = z.infer<typeof InvalidRequestErrorSchema>;
export type UnauthorizedError = z.infer<typeof UnauthorizedErrorSchema>;
export type NotFoundError = z.infer<typeof NotFoundErrorSchema>;
export type PayloadTooLargeError = z.infer<typeof PayloadTooLargeErrorSchema>;
export type LamportConflictError = z.infer<typeof LamportConflictErrorSchema>;
export type OperationIdReusedError = z.infer<typeof OperationIdReusedErrorSchema>;
export type ResyncRequiredError = z.infer<typeof ResyncRequiredErrorSchema>;
export type InternalError = z.infer<typeof InternalErrorSchema>;
/** Every error body a Syncline server sends. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
/** The `type` of an error body. */
export type ErrorType = ErrorBody["type"];
