import type pg from "pg";

/**
 * Key of the session-level advisory lock that serializes {@link migrate}
 * across processes (one-bigint form: it cannot meet the two-int user locks).
 */
export const MIGRATION_LOCK_KEY = "7164395402938470001";

/** First half of the two-int advisory lock taken per user ("SYNC"). */
const USER_LOCK_NAMESPACE = 0x53594e43;

/**
 * Takes the transaction-scoped advisory lock of one user. Pushes and
 * compactions of the same user hold it in turn, so a user's ops become
 * visible in id order and compaction never interleaves with a push. Two
 * users whose ids hash alike only wait for each other; nothing else changes.
 *
 * Reads that must see earlier holders' commits have to run in a later
 * statement: a statement's snapshot is taken before the lock wait ends.
 */
export async function lockUser(client: pg.ClientBase, userId: string): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
    USER_LOCK_NAMESPACE,
    userId,
  ]);
}
