import type { ErrorType } from "./error-body.js";

/**
 * What a client does about an error, so every client reacts the same way:
 * - `retry`: transient; keep the request and retry later with backoff.
 * - `restamp`: merge the clock with `max_lamport_ts`, re-stamp the pending ops
 *   above it (same `operation_id`s, same order) and push again.
 * - `reject`: the request or op itself is wrong; park it as failed with the
 *   message and go on with the rest. Retrying unchanged cannot succeed.
 * - `reset`: wipe op-derived state, pull from 0, then go on; keep pending ops.
 * - `reauthenticate`: stop, get a fresh token, then resume.
 */
export type ErrorRecovery = "retry" | "restamp" | "reject" | "reset" | "reauthenticate";

/** The recovery for each error type. */
export const ERROR_RECOVERY = {
  invalid_request: "reject",
  unauthorized: "reauthenticate",
  not_found: "reject",
  payload_too_large: "reject",
  lamport_conflict: "restamp",
  operation_id_reused: "reject",
  resync_required: "reset",
  internal: "retry",
} as const satisfies Record<ErrorType, ErrorRecovery>;

/**
 * The recovery for an HTTP failure: by the body's `type` when the body is a
 * Syncline error, otherwise by status (5xx, 408 and 429 retry; 401 and 403
 * re-authenticate; 410 resets; other 4xx reject).
 */
export function recoveryFor(status: number, type?: ErrorType): ErrorRecovery {
  if (type !== undefined) return ERROR_RECOVERY[type];
  if (status >= 500 || status === 408 || status === 429) return "retry";
  if (status === 401 || status === 403) return "reauthenticate";
  if (status === 410) return "reset";
  return "reject";
}
