import { createHash } from "node:crypto";
import { BASE_62_DIGITS, generateKeyBetween } from "fractional-indexing";

/** How many characters {@link deviceSuffix} makes. */
export const DEVICE_SUFFIX_LENGTH = 8;

/**
 * This device's position-key suffix: {@link DEVICE_SUFFIX_LENGTH} base-62
 * digits hashed from the device id, the last never `0` (a fractional-index
 * key may not end in `0`). Two devices get the same suffix with probability
 * about 62^-8; even then entries still sort deterministically by entry id.
 */
export function deviceSuffix(deviceId: string): string {
  const hash = createHash("sha256").update(deviceId).digest();
  const digits = [...hash.subarray(0, DEVICE_SUFFIX_LENGTH)].map((byte, i) =>
    i === DEVICE_SUFFIX_LENGTH - 1
      ? BASE_62_DIGITS[1 + (byte % (BASE_62_DIGITS.length - 1))]
      : BASE_62_DIGITS[byte % BASE_62_DIGITS.length],
  );
  return digits.join("");
}

/**
 * A fractional-index key strictly between `before` and `after` (null: the
 * start or the end) that ends with `suffix`, so two devices inserting at the
 * same place get different keys. The library's key `k` is extended as
 * `k + suffix`, which stays below `after` unless `k` is a prefix of `after`;
 * then `k` is moved up (each step a longer prefix of `after`, so at most
 * `after.length` steps) until it is not.
 * @param suffix base-62 digits not ending in `0`, e.g. {@link deviceSuffix}
 * @throws Error when `before` or `after` is not a valid key, or `before >= after`
 */
export function positionBetween(
  before: string | null,
  after: string | null,
  suffix: string,
): string {
  if (before !== null && after !== null && before >= after) {
    throw new Error(`position ${before} is not below ${after}`);
  }
  let key = generateKeyBetween(before, after);
  while (after?.startsWith(key)) key = generateKeyBetween(key, after);
  return key + suffix;
}
