import {
  ACCESS_TOKEN_PARAM,
  BEARER_PREFIX,
  DEVICE_ID_CLAIM,
  DEVICE_ID_PARAM,
  SyncError,
  UuidSchema,
} from "@syncline/protocol";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { LRUCache } from "lru-cache";

/** Who is calling: the user (`sub`) and the device. */
export interface AuthContext {
  readonly userId: string;
  readonly deviceId: string;
  /**
   * When the credentials stop being accepted: the token's `exp` plus the
   * clock tolerance, the same instant for HTTP and WebSocket (R8). A socket
   * is closed with 4401 then.
   */
  readonly expiresAt?: Date;
}

/** What an authenticator reads from a request. */
export interface AuthRequest {
  /** The `Authorization` header, if any. */
  readonly authorization: string | undefined;
  /** The `X-Device-Id` header, if any. */
  readonly deviceIdHeader: string | undefined;
  /**
   * Query parameters; only read when `allowQueryToken` (WebSocket upgrades,
   * where browsers cannot set headers).
   */
  readonly query: (name: string) => string | undefined;
  readonly allowQueryToken: boolean;
}

/**
 * Resolves a request to its user and device.
 * @throws SyncError `unauthorized` when the token or device id is missing or invalid
 */
export type Authenticate = (request: AuthRequest) => Promise<AuthContext>;

/** Options of {@link jwtAuth}: give exactly one of `jwksUrl` and `jwks`. */
export interface JwtAuthOptions {
  /**
   * URL of a JSON Web Key Set (e.g. a Better Auth instance's `/api/auth/jwks`).
   * Keys are cached; an unknown `kid` refetches the set, so key rotation works.
   */
  jwksUrl?: string | URL;
  /** A local JSON Web Key Set (public keys) to verify against. */
  jwks?: JSONWebKeySet;
  /** How long fetched JWKS keys are trusted before a refetch, in ms. @default 600000 (10 min) */
  jwksCacheMaxAgeMs?: number;
  /**
   * Least time between two JWKS fetches, in ms: a token with an unknown `kid`
   * (a rotated key) refetches the set at most this often.
   * @default 30000
   */
  jwksCooldownMs?: number;
  /** Required `iss` claim. @default not checked */
  issuer?: string;
  /** Required `aud` claim. @default not checked */
  audience?: string;
  /** Accepted signing algorithms. @default ["EdDSA", "ES256", "RS256"] */
  algorithms?: string[];
  /** Seconds of clock skew tolerated for `exp`/`nbf`. @default 5 */
  clockToleranceSeconds?: number;
  /**
   * The clock `exp` and `nbf` are judged by, in ms since the epoch: pass the
   * same `scheduler.now` as `createSyncRoutes`, so HTTP and the socket's 4401
   * agree on expiry (R8).
   * @default Date.now
   */
  now?: () => number;
  /**
   * How many verified tokens are remembered, so a device's next request
   * with the same token skips the signature check (a device sends one token
   * on every request until it expires). Only tokens that verified are kept;
   * `exp` and `nbf` are still judged on every request, by `now`. 0 turns
   * the cache off.
   * @default 10000
   */
  verifiedTokenCacheSize?: number;
  /**
   * How long a remembered token is trusted before its signature is checked
   * again: a key removed from the key set stops being accepted after at
   * most this long (plus `jwksCacheMaxAgeMs` for a fetched set).
   * @default 60000 (1 min)
   */
  verifiedTokenMaxAgeMs?: number;
}

/** A token that verified: its claims, and when (by the auth's clock). */
interface VerifiedToken {
  readonly payload: JWTPayload;
  readonly at: number;
}

const unauthorized = (message: string) => new SyncError({ type: "unauthorized", message });

function keySet(options: JwtAuthOptions): JWTVerifyGetKey {
  if (options.jwksUrl && !options.jwks) {
    return createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
    });
  }
  if (options.jwks && !options.jwksUrl) return createLocalJWKSet(options.jwks);
  throw new TypeError("jwtAuth: give exactly one of jwksUrl and jwks");
}

function bearerToken(request: AuthRequest): string {
  const header = request.authorization;
  if (header !== undefined) {
    if (!header.startsWith(BEARER_PREFIX) || header.length === BEARER_PREFIX.length) {
      throw unauthorized("Authorization header must be 'Bearer <token>'");
    }
    return header.slice(BEARER_PREFIX.length).trim();
  }
  const fromQuery = request.allowQueryToken ? request.query(ACCESS_TOKEN_PARAM) : undefined;
  if (fromQuery) return fromQuery;
  throw unauthorized("missing bearer token");
}

function tokenFailure(error: unknown): SyncError {
  if (error instanceof errors.JWTExpired) return unauthorized("token expired");
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized("token signature is invalid");
  if (error instanceof errors.JWKSNoMatchingKey)
    return unauthorized("token signed by an unknown key");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return unauthorized(
      error.reason === "missing"
        ? `token has no '${error.claim}' claim`
        : `token claim '${error.claim}' is invalid: ${error.reason}`,
    );
  }
  if (error instanceof errors.JOSEError) return unauthorized(`token is invalid (${error.code})`);
  throw error;
}

/**
 * Authenticates with `Authorization: Bearer <JWT>`, verified by `jose`; the
 * token must carry `sub` and `exp`.
 * User = `sub` (a UUID); device = the `device_id` claim, else the
 * `X-Device-Id` header, else (WebSocket only) the `device_id` query parameter.
 * @example
 * const auth = jwtAuth({ jwksUrl: "https://auth.example.com/api/auth/jwks" });
 */
export function jwtAuth(options: JwtAuthOptions): Authenticate {
  const keys = keySet(options);
  const toleranceSeconds = options.clockToleranceSeconds ?? 5;
  const verifyOptions = {
    algorithms: options.algorithms ?? ["EdDSA", "ES256", "RS256"],
    clockTolerance: toleranceSeconds,
    // A token that never expires would stay valid forever once leaked.
    requiredClaims: ["sub", "exp"],
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };
  const now = options.now ?? Date.now;
  const cacheSize = options.verifiedTokenCacheSize ?? 10_000;
  const maxAgeMs = options.verifiedTokenMaxAgeMs ?? 60_000;
  const verified =
    cacheSize > 0 ? new LRUCache<string, VerifiedToken>({ max: cacheSize }) : undefined;
  /** The remembered claims of `token` while they are still good at `at`, as jose judges them. */
  const remembered = (token: string, at: number): JWTPayload | undefined => {
    const hit = verified?.get(token);
    if (!hit) return undefined;
    const { exp, nbf } = hit.payload;
    const seconds = Math.floor(at / 1000);
    const fresh =
      at - hit.at < maxAgeMs &&
      exp !== undefined &&
      exp > seconds - toleranceSeconds &&
      (nbf === undefined || nbf <= seconds + toleranceSeconds);
    if (fresh) return hit.payload;
    verified!.delete(token);
    return undefined;
  };
  return async (request) => {
    const token = bearerToken(request);
    const at = now();
    let payload = remembered(token, at);
    if (!payload) {
      ({ payload } = await jwtVerify(token, keys, {
        ...verifyOptions,
        currentDate: new Date(at),
      }).catch((error: unknown) => {
        throw tokenFailure(error);
      }));
      verified?.set(token, { payload, at });
    }
    if (!UuidSchema.safeParse(payload.sub).success)
      throw unauthorized("token 'sub' must be a UUID");
    const claimed = payload[DEVICE_ID_CLAIM];
    const given =
      request.deviceIdHeader ??
      (request.allowQueryToken ? request.query(DEVICE_ID_PARAM) : undefined);
    if (claimed !== undefined && typeof claimed !== "string")
      throw unauthorized("token 'device_id' must be a UUID");
    if (claimed !== undefined && given !== undefined && given !== claimed) {
      throw unauthorized("device id does not match the token's device_id claim");
    }
    const deviceId = claimed ?? given;
    if (deviceId === undefined)
      throw unauthorized("no device id: set the device_id claim or X-Device-Id");
    if (!UuidSchema.safeParse(deviceId).success) throw unauthorized("device id must be a UUID");
    return {
      userId: payload.sub as string,
      deviceId,
      // R8: jose accepts the token until exp + tolerance; a socket lives exactly as long.
      ...(payload.exp === undefined
        ? {}
        : { expiresAt: new Date((payload.exp + toleranceSeconds) * 1000) }),
    };
  };
}
