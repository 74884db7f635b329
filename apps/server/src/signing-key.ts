import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DEVICE_ID_CLAIM } from "@syncline/protocol";
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from "jose";

const ALGORITHM = "EdDSA";

/** The server's own signing key, for self-hosters without an identity provider. */
export interface SigningKey {
  /** The public half, served at `/.well-known/jwks.json`. */
  readonly jwks: JSONWebKeySet;
  /** Signs a token for `userId` (and `deviceId`, as the `device_id` claim). */
  sign(claims: { userId: string; deviceId?: string; ttlSeconds: number }): Promise<string>;
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

async function readOrCreate(path: string): Promise<StoredKey> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as StoredKey;
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, {
    crv: "Ed25519",
    extractable: true,
  });
  const kid = randomUUID();
  const stored: StoredKey = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: "sig" },
  };
  await mkdir(dirname(path), { recursive: true });
  // Written aside, then linked into place: a reader never sees half a file, and
  // when two processes start at once the first key linked wins.
  const draft = `${path}.${kid}.tmp`;
  await writeFile(draft, JSON.stringify(stored), { mode: 0o600 });
  try {
    await link(draft, path);
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
    return JSON.parse(await readFile(path, "utf8")) as StoredKey;
  } finally {
    await rm(draft, { force: true });
  }
  return stored;
}

/**
 * The server's Ed25519 signing key, generated on first use and kept in the
 * data directory (mode 0600), so tokens stay valid across restarts.
 */
export async function loadSigningKey(dataDir: string): Promise<SigningKey> {
  const stored = await readOrCreate(signingKeyPath(dataDir));
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
  };
}
