import { isSyncError } from "@syncline/protocol";
import type pg from "pg";

/**
 * Runs `work` between BEGIN and COMMIT on `client`; rolls back and rethrows
 * when it throws (if the rollback itself fails, that error is thrown).
 * @param begin the SQL that opens the transaction, e.g. {@link beginLockedByUser}'s
 */
export async function inTransaction<T>(
  client: pg.ClientBase,
  work: () => Promise<T>,
  begin = "BEGIN",
): Promise<T> {
  await client.query(begin);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
  await client.query("COMMIT");
  return result;
}

/**
 * Runs `work` on a client of `pool` and releases it. After anything but a
 * {@link SyncError} (a rule violation whose transaction rolled back cleanly)
 * the client is discarded rather than returned, since its state is unknown.
 */
export async function withClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await work(client);
    client.release();
    return result;
  } catch (error) {
    client.release(isSyncError(error) ? undefined : (error as Error));
    throw error;
  }
}

/** {@link inTransaction} on a client of `pool`, released by {@link withClient}. */
export function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin?: string,
): Promise<T> {
  return withClient(pool, (client) => inTransaction(client, () => work(client), begin));
}
