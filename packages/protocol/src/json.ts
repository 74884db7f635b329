import { z } from "zod";
import { MAX_VALUE_DEPTH } from "./limits.js";

/** Any JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `text` cannot be stored as it is, or `undefined` when it can: U+0000
 * (PostgreSQL cannot store it) and lone UTF-16 surrogates (not valid Unicode:
 * PostgreSQL refuses them in JSON and replaces them with U+FFFD in text, so the
 * op would not round-trip) are refused.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain U+0000";
  if (LONE_SURROGATE.test(text)) return "must not contain a lone UTF-16 surrogate";
  return undefined;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Why `value` is not a JSON value the protocol accepts, or `undefined` when
 * it is one: only strings, finite numbers, booleans, null, arrays and plain
 * objects; arrays and objects nested at most `maxDepth` deep (`[[1]]` is 2
 * deep); no string or object key with U+0000 or a lone surrogate
 * ({@link textProblem}). Walks the value without recursion, so no input,
 * however deep, can exhaust the stack.
 */
export function jsonValueProblem(value: unknown, maxDepth = MAX_VALUE_DEPTH): string | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const item = next.value;
    if (item === null || typeof item === "boolean") continue;
    if (typeof item === "number") {
      if (!Number.isFinite(item)) return "must be a JSON value (finite numbers only)";
      continue;
    }
    if (typeof item === "string") {
      const problem = textProblem(item);
      if (problem) return problem;
      continue;
    }
    if (typeof item !== "object" || !(Array.isArray(item) || isPlainObject(item))) {
      return "must be a JSON value";
    }
    const depth = next.depth + 1;
    if (depth > maxDepth) return `must not nest arrays and objects more than ${maxDepth} deep`;
    if (Array.isArray(item)) {
      for (const element of item) stack.push({ value: element, depth });
      continue;
    }
    for (const [key, element] of Object.entries(item)) {
      const problem = textProblem(key);
      if (problem) return problem;
      stack.push({ value: element, depth });
    }
  }
  return undefined;
}

/**
 * Schema of a JSON value the protocol accepts ({@link jsonValueProblem}) whose
 * UTF-8 JSON takes at most `maxBytes` ({@link jsonFitsIn}; an infinite bound
 * is never measured): one check per value, which matters on the push path
 * (hundreds of values per request).
 */
export function boundedJsonValueSchema(maxBytes: number): z.ZodType<JsonValue> {
  return z.custom<JsonValue>().superRefine((value, ctx) => {
    const problem = jsonValueProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
    else if (Number.isFinite(maxBytes) && !jsonFitsIn(value, maxBytes)) {
      ctx.addIssue({
        code: "custom",
        message: `must serialize to at most ${maxBytes} bytes of JSON`,
      });
    }
  });
}

/**
 * Schema of any JSON value the protocol accepts ({@link jsonValueProblem}):
 * at most {@link MAX_VALUE_DEPTH} deep, valid Unicode, no U+0000.
 */
export const JsonValueSchema: z.ZodType<JsonValue> = boundedJsonValueSchema(
  Number.POSITIVE_INFINITY,
);

const encoder = new TextEncoder();

/** Size in bytes of the UTF-8 JSON serialization of `value`. */
export function jsonByteLength(value: JsonValue): number {
  return encoder.encode(JSON.stringify(value)).byteLength;
}

/**
 * Whether the UTF-8 JSON serialization of `value` takes at most `maxBytes`.
 * A UTF-16 code unit takes 1 to 3 bytes of UTF-8, so the text's length
 * settles most values without encoding them.
 */
export function jsonFitsIn(value: JsonValue, maxBytes: number): boolean {
  const text = JSON.stringify(value);
  if (text.length * 3 <= maxBytes) return true;
  if (text.length > maxBytes) return false;
  return encoder.encode(text).byteLength <= maxBytes;
}
