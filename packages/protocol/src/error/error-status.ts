import type { ErrorType } from "./error-body.js";

/**
 * HTTP status of each error type. `invalid_request` is 422 when the body
 * parsed but broke the schema, 400 when it could not be parsed at all (or the
 * query string is wrong); this table gives 422.
 */
export const ERROR_STATUS = {
  invalid_request: 422,
  unauthorized: 401,
  not_found: 404,
  payload_too_large: 413,
  lamport_conflict: 409,
  operation_id_reused: 409,
  resync_required: 410,
  internal: 500,
} as const satisfies Record<ErrorType, number>;
