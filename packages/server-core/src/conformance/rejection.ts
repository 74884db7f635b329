import { type ErrorBody, type ErrorType, isSyncError, type SyncError } from "@syncline/protocol";

/** What `promise` rejected with, or `undefined` when it fulfilled. */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
}

/**
 * The `SyncError` of `type` that `promise` rejects with.
 * @throws when it fulfils or rejects with anything else
 */
export async function syncErrorOf<T extends ErrorType>(
  promise: Promise<unknown>,
  type: T,
): Promise<SyncError<Extract<ErrorBody, { type: T }>>> {
  const error = await rejectionOf(promise);
  if (!isSyncError(error, type)) throw new Error(`expected a ${type} SyncError, got ${error}`);
  return error;
}
