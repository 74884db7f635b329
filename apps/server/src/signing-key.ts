import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { DEVICE_ID_CLAIM } from "@syncline/protocol";
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { readOrCreateSecretFile } from "./secret-file.js";

const ALGORITHM = "EdDSA";

/** The server's own signing key, for self-hosters without an identity provider. */
export interface SigningKey {
  /** The public half, served at `/.well-known/jwks.json`. */
  readonly jwks: JSONWebKeySet;
  /** Signs a token for `userId` (and `deviceId`, as the `device_id` claim). */
  sign(claims: { userId: string; deviceId?: string; ttlSeconds: number }): Promise<string>;
  /**
   * Signs a whole claim set as it is (Better Auth's JWTs: `sub`, `iat`,
   * `exp`, `iss`, `aud` already set), with this key's `alg` and `kid`.
   */
  signPayload(payload: JWTPayload): Promise<string>;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Path of the key file inside the data directory. */
export function signingKeyPath(dataDir: string): string {
  return join(dataDir, "jwt-signing-key.json");
}

async function createKey(): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, {
    crv: "Ed25519",
    extractable: true,
  });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: "sig" },
  };
}

/**
 * The server's Ed25519 signing key, generated on first use and kept in the
 * data directory (mode 0600), so tokens stay valid across restarts.
 */
export async function loadSigningKey(dataDir: string): Promise<SigningKey> {
  const stored = await readOrCreateSecretFile(signingKeyPath(dataDir), createKey);
  const privateKey = await importJWK(stored.privateJwk, ALGORITHM);
  return {
    jwks: { keys: [stored.publicJwk] },
    async sign({ userId, deviceId, ttlSeconds }) {
      const jwt = new SignJWT(deviceId ? { [DEVICE_ID_CLAIM]: deviceId } : {})
        .setProtectedHeader({ alg: ALGORITHM, kid: stored.kid })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`);
      return jwt.sign(privateKey);
    },
    signPayload(payload) {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: ALGORITHM, kid: stored.kid, typ: "JWT" })
        .sign(privateKey);
    },
  };
}
