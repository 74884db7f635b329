/** Source of random bytes; fills and returns `bytes` (the shape of `crypto.getRandomValues`). */
export type RandomBytes = (bytes: Uint8Array) => Uint8Array;

const cryptoRandom: RandomBytes = (bytes) => globalThis.crypto.getRandomValues(bytes);

/**
 * A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74
 * random bits, so ids made later sort later. The randomness comes from
 * `crypto.getRandomValues`; no cryptography is done here, only bit layout.
 * @param now Unix time in milliseconds @default Date.now()
 * @param randomBytes source of the 74 random bits @default crypto.getRandomValues
 * @example uuidv7() // "0192f5c1-3b7e-7a4c-9d2e-5f1a2b3c4d5e"
 */
export function uuidv7(now: number = Date.now(), randomBytes: RandomBytes = cryptoRandom): string {
  const bytes = randomBytes(new Uint8Array(16));
  let ms = Math.floor(now);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (bytes[6]! & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // variant 10
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
