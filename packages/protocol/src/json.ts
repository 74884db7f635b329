import { z } from "zod";

/** Any JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Schema of any JSON value (finite numbers, plain objects, arrays). */
export const JsonValueSchema: z.ZodType<JsonValue> = z.json();

const encoder = new TextEncoder();

/** Size in bytes of the UTF-8 JSON serialization of `value`. */
export function jsonByteLength(value: JsonValue): number {
  return encoder.encode(JSON.stringify(value)).byteLength;
}

/** Whether a string or object key anywhere in `value` holds U+0000 (PostgreSQL cannot store it). */
export function containsNul(value: JsonValue): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(([key, item]) => key.includes("\u0000") || containsNul(item));
  }
  return false;
}
