/**
 * The sync endpoints, relative to wherever the routes are mounted (R1):
 * `POST`/`GET` {@link OPS_PATH}, `POST` {@link ACK_PATH}, `GET` {@link SNAPSHOT_PATH},
 * `GET` {@link WS_PATH}.
 */

/** `POST` pushes a batch (R12–R19); `GET` pulls a page (R20–R24). */
export const OPS_PATH = "/sync/ops";

/** `POST` advances the device's cursor (R25–R28). */
export const ACK_PATH = "/sync/ack";

/** `GET` reads a page of the user's current state (R72–R74). */
export const SNAPSHOT_PATH = "/sync/snapshot";

/** `GET` upgrades to the WebSocket of live ops (R29–R36). */
export const WS_PATH = "/sync/ws";

/** Every path under which the sync routes live, for middleware that covers them all. */
export const SYNC_PATH_PATTERN = "/sync/*";

/** Pull and WebSocket query parameter: ops after this id (R20, R31). */
export const SINCE_PARAM = "since";

/** Pull query parameter: most ops in the page (R20). */
export const LIMIT_PARAM = "limit";

/** Pull query parameter: the page continues a read that began at `since=0` (R22). */
export const RESYNC_PARAM = "resync";

/** Snapshot query parameter: continue after this `next_cursor` (R72). */
export const CURSOR_PARAM = "cursor";

/** Snapshot query parameter: only entities of this type (R72). */
export const ENTITY_TYPE_PARAM = "entity_type";
