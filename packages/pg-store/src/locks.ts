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
 * SQL that begins a transaction and takes the transaction-scoped advisory
 * lock of one user, sent as one simple query (one round trip instead of two;
 * the id is a checked UUID, so it is safe to write into the text). Pushes and
 * compactions of the same user hold it in turn, so a user's ops become
 * visible in id order and compaction never interleaves with a push. Two
 * users whose ids hash alike only wait for each other; nothing else changes.
 *
 * Reads that must see earlier holders' commits have to run in a later
 * statement: a statement's snapshot is taken before the lock wait ends.
 * The one-round-trip push (`sync_push_new_ops`, migration 6) takes the same
 * key from the same text.
 */
export function beginLockedByUser(userId: string): string {
  if (!UUID.test(userId))
    throw new TypeError(`user id must be a UUID, got ${JSON.stringify(userId)}`);
  return `BEGIN; SELECT pg_advisory_xact_lock(${USER_LOCK_NAMESPACE}, hashtext('${userId}'))`;
}

/** A UUID in its text form: the only user id {@link beginLockedByUser} writes into SQL. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
