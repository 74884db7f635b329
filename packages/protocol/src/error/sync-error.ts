import type { ErrorBody, ErrorType } from "./error-body.js";
import { ERROR_RECOVERY, type ErrorRecovery } from "./error-recovery.js";
import { ERROR_STATUS } from "./error-status.js";

/**
 * An error that carries a Syncline error body. Stores throw it for rule
 * violations (`lamport_conflict`, `operation_id_reused`, `resync_required`,
 * …); servers answer with `status` and `body`; clients switch on `body.type`
 * or `recovery`, never on `message`.
 */
export class SyncError<B extends ErrorBody = ErrorBody> extends Error {
  override readonly name = "SyncError";
  readonly body: B;
  /** HTTP status that goes with the body. */
  readonly status: number;

  constructor(body: B, status: number = ERROR_STATUS[body.type]) {
    super(body.message);
    this.body = body;
    this.status = status;
  }

  /** The error's type, e.g. `lamport_conflict`. */
  get type(): B["type"] {
    return this.body.type;
  }

  /** What a client does about it. */
  get recovery(): ErrorRecovery {
    return ERROR_RECOVERY[this.body.type];
  }
}

/** Whether `error` is a {@link SyncError}, optionally of the given type. */
export function isSyncError<T extends ErrorType>(
  error: unknown,
  type?: T,
): error is SyncError<Extract<ErrorBody, { type: T }>> {
  return error instanceof SyncError && (type === undefined || error.body.type === type);
}
