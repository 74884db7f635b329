import { generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";
import { type Authenticate, jwtAuth } from "@syncline/hono";
import { DEVICE_ID_CLAIM } from "@syncline/protocol";

/** What a token issued by a {@link TokenIssuer} says. */
export interface TokenOptions {
  /** The token's `sub`: its user. @default the issuer's user */
  readonly userId?: string;
  /**
   * The `device_id` claim, binding the token to one device (R6).
   * @default none: the device is whatever `X-Device-Id` (or `device_id` on the socket) names
   */
  readonly deviceId?: string;
  /**
   * Seconds from now to `exp`; negative for a token that has already expired
   * (beyond the 5 s tolerance from -6 on). Counted on the system clock, which
   * `jwtAuth` judges HTTP requests by.
   * @default 3600
   */
  readonly expiresInSeconds?: number;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly authenticate: Authenticate;
}

function base64url(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString("base64url");
}

/**
 * Issues the JWTs a test server accepts — EdDSA over a local Ed25519 key,
 * signed synchronously — and checks them with the real `jwtAuth({ jwks })`
 * of `@syncline/hono`. {@link TokenIssuer.rotate} moves to a new key, after
 * which every token issued before is refused (401), as after a key rotation
 * a client missed.
 * @example
 * const tokens = new TokenIssuer(userId);
 * const routes = createSyncRoutes({ store, auth: tokens.authenticate });
 * const token = tokens.issue({ expiresInSeconds: -60 }); // already expired
 */
export class TokenIssuer {
  /** The user of tokens that name none. */
  readonly userId: string;
  readonly #now: () => number;
  #key: SigningKey;
  #rotations = 0;

  /** @param now the clock tokens are issued and judged by (the server's scheduler) @default Date.now */
  constructor(userId: string = randomUUID(), now: () => number = Date.now) {
    this.userId = userId;
    this.#now = now;
    this.#key = this.#newKey();
  }

  /** Authenticates a request with `jwtAuth` over the current key: pass it as the routes' `auth`. */
  readonly authenticate: Authenticate = (request) => this.#key.authenticate(request);

  /** A signed token for the current key. */
  issue(options: TokenOptions = {}): string {
    const header = base64url({ alg: "EdDSA", typ: "JWT", kid: this.#key.kid });
    const issuedAt = Math.floor(this.#now() / 1000);
    const payload = base64url({
      sub: options.userId ?? this.userId,
      iat: issuedAt,
      exp: issuedAt + (options.expiresInSeconds ?? 3600),
      ...(options.deviceId === undefined ? {} : { [DEVICE_ID_CLAIM]: options.deviceId }),
    });
    const signature = sign(null, Buffer.from(`${header}.${payload}`), this.#key.privateKey);
    return `${header}.${payload}.${signature.toString("base64url")}`;
  }

  /** Signs and verifies with a new key from now on: every token issued before gets 401. */
  rotate(): void {
    this.#key = this.#newKey();
  }

  #newKey(): SigningKey {
    const kid = `in-process-key-${++this.#rotations}`;
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "EdDSA", use: "sig" };
    return { kid, privateKey, authenticate: jwtAuth({ jwks: { keys: [jwk] }, now: this.#now }) };
  }
}
