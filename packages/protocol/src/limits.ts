/** Most ops in one `POST /sync/ops` batch. */
export const MAX_PUSH_OPS = 1000;

/** Largest `value` of one op, in bytes of its UTF-8 JSON serialization (64 KiB). */
export const MAX_VALUE_BYTES = 64 * 1024;

/** Longest `entity_type` and `field`, in characters. */
export const MAX_NAME_LENGTH = 64;

/** Longest `entity_id`, in characters. */
export const MAX_ENTITY_ID_LENGTH = 256;

/**
 * Largest `lamport_ts`: the largest integer that JSON numbers carry exactly,
 * which also fits a PostgreSQL BIGINT.
 */
export const MAX_LAMPORT_TS = Number.MAX_SAFE_INTEGER;

/** `limit` of a pull when the client gives none. */
export const DEFAULT_PULL_LIMIT = 1000;

/** Largest `limit` a pull may ask for. */
export const MAX_PULL_LIMIT = 5000;

/**
 * Largest request body a server accepts, checked before parsing (8 MiB).
 * Larger bodies get `payload_too_large` (413). A batch of 1000 ops with
 * maximal values would exceed it, so clients also bound a batch by its size
 * in bytes, not only by {@link MAX_PUSH_OPS}.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
