/**
 * Version of the Syncline wire protocol. Servers send it in the
 * {@link PROTOCOL_VERSION_HEADER} response header; clients may send it in the
 * same request header so a server can refuse a client it no longer speaks to.
 *
 * History (bump on every incompatible change, and say why):
 * - 1: first version: push, pull, ack, WebSocket frames, error bodies. Before
 *   its first release its bounds were tightened (`lamport_ts` ≤ 2^52 with a
 *   receive ceiling of 2^51, values at most 64 deep and of valid Unicode, pages
 *   bounded by bytes, client frames ≤ 4 KiB, a ping rate): no peer had shipped
 *   yet, so no bump.
 */
export const PROTOCOL_VERSION = 1;

/**
 * The oldest version a server still speaks (R65). A server accepts every
 * version from this one to {@link PROTOCOL_VERSION}, so during a rolling
 * upgrade clients one version behind keep working. Raise it only once no
 * supported client sends an older version.
 */
export const MIN_SUPPORTED_PROTOCOL_VERSION = 1;

/** HTTP header that carries {@link PROTOCOL_VERSION}. */
export const PROTOCOL_VERSION_HEADER = "syncline-protocol-version";
