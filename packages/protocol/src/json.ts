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
