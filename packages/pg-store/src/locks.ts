import type pg from "pg";

/**
 * Every PostgreSQL advisory-lock key Syncline takes, in one place so no two
 * meet. The session-level keys are one-bigint locks (7164395402938470001…),
 * which cannot meet the two-int per-user locks (`USER_LOCK_NAMESPACE`,
 * `hashtext(user_id)`).
 */

/** Serializes `migratePgStore` across processes. */
export const MIGRATION_LOCK_KEY = "7164395402938470001";

/** Lets one compaction run at a time across processes (R56). */
export const COMPACTION_LOCK_KEY = "7164395402938470002";

/**
 * Held by the one `serve` of an embedded data dir for its whole life (R70),
 * on a connection of its own, so it ends with the process.
 */
export const EMBEDDED_SERVE_LOCK_KEY = "7164395402938470003";

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
