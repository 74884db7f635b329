/**
 * Auth conventions every Syncline server and client share.
 *
 * A request carries `Authorization: Bearer <JWT>`. The user is the token's
 * `sub`. The device is the token's {@link DEVICE_ID_CLAIM} claim, else the
 * {@link DEVICE_ID_HEADER} header (a UUID). WebSocket clients that cannot set
 * headers (browsers) pass {@link ACCESS_TOKEN_PARAM} and
 * {@link DEVICE_ID_PARAM} as query parameters instead.
 */
export const AUTHORIZATION_HEADER = "authorization";

/** Scheme of the `Authorization` header. */
export const BEARER_PREFIX = "Bearer ";

/** JWT claim naming the device. */
export const DEVICE_ID_CLAIM = "device_id";

/** Header naming the device when the token has no {@link DEVICE_ID_CLAIM}. */
export const DEVICE_ID_HEADER = "x-device-id";

/** WebSocket query parameter carrying the JWT. */
export const ACCESS_TOKEN_PARAM = "access_token";

/** WebSocket query parameter carrying the device id. */
export const DEVICE_ID_PARAM = "device_id";
