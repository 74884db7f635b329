/** Most ops in one `POST /sync/ops` batch. */
export const MAX_PUSH_OPS = 1000;

/** Largest `value` of one op, in bytes of its UTF-8 JSON serialization (64 KiB). */
export const MAX_VALUE_BYTES = 64 * 1024;

/** Longest `entity_type` and `field`, in characters. */
export const MAX_NAME_LENGTH = 64;

/** Longest `entity_id`, in characters. */
export const MAX_ENTITY_ID_LENGTH = 256;

/**
 * Largest `lamport_ts` a push may carry (2^52, R43): half of what JSON numbers
 * carry exactly, so a clock never comes near `Number.MAX_SAFE_INTEGER`.
 */
export const MAX_LAMPORT_TS = 2 ** 52;

/**
 * Highest value a received `lamport_ts` can raise a device's clock to (2^51,
 * R42): `clock := max(clock, min(received, LAMPORT_RECEIVE_CEILING)) + 1`. A
 * peer that stamps near {@link MAX_LAMPORT_TS} therefore still leaves every
 * other device 2^51 local ops of headroom.
 */
export const LAMPORT_RECEIVE_CEILING = 2 ** 51;

/**
 * Largest `lamport_ts` a stored op may carry on the wire: ops stored before
 * {@link MAX_LAMPORT_TS} was lowered keep theirs, up to 2^53 − 1.
 */
export const MAX_STORED_LAMPORT_TS = Number.MAX_SAFE_INTEGER;

/** How deep arrays and objects may nest in an op's `value` (`[[1]]` is 2 deep). */
export const MAX_VALUE_DEPTH = 64;

/** `limit` of a pull when the client gives none. */
export const DEFAULT_PULL_LIMIT = 1000;

/** Largest `limit` a pull may ask for. */
export const MAX_PULL_LIMIT = 5000;

/**
 * Most bytes of op values in one pull page or `ops` frame (4 MiB, R20): a
 * page ends early when its values would exceed it, and always holds at least
 * one op, so 5000 ops of 64 KiB never make a 320 MB response.
 */
export const MAX_PAGE_VALUE_BYTES = 4 * 1024 * 1024;

/**
 * Largest WebSocket frame a client may send (4 KiB, R34): its frames are an ACK
 * or a ping, a few dozen bytes. A larger frame closes the socket with 1009.
 */
export const MAX_CLIENT_FRAME_BYTES = 4096;

/**
 * Pings a socket may send in a burst (R34); the allowance refills at one per
 * {@link PING_REFILL_MS}. A socket that pings faster is closed with 1008.
 */
export const PING_BURST = 10;

/** Time in ms in which one more ping is allowed, up to {@link PING_BURST}. */
export const PING_REFILL_MS = 1000;

/**
 * Largest request body a server accepts, checked before parsing (8 MiB).
 * Larger bodies get `payload_too_large` (413). A batch of 1000 ops with
 * maximal values would exceed it, so clients also bound a batch by its size
 * in bytes, not only by {@link MAX_PUSH_OPS}.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** `limit` (fields) of a snapshot page when the client gives none (R72). */
export const DEFAULT_SNAPSHOT_LIMIT = 1000;

/** Largest `limit` (fields) a snapshot page may ask for (R72). */
export const MAX_SNAPSHOT_LIMIT = 5000;

/**
 * Longest `cursor` a snapshot page accepts, in characters: room for the
 * longest names of R2, each character escaped, in base64url.
 */
export const MAX_SNAPSHOT_CURSOR_LENGTH = 4096;
