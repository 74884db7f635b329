import { z } from "zod";
import { JsonValueSchema } from "./json.js";
import {
  DEFAULT_SNAPSHOT_LIMIT,
  MAX_SNAPSHOT_CURSOR_LENGTH,
  MAX_SNAPSHOT_LIMIT,
} from "./limits.js";
import { EntityIdSchema, EntityTypeSchema, FieldSchema } from "./op.js";
import { QueryInt } from "./query-int.js";
import { OpIdSchema } from "./stored-op.js";

/** A log position on the wire: 0 (an empty log) up to `Number.MAX_SAFE_INTEGER`. */
const LogPositionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Where a snapshot read goes on (R73): the `as_of` its first page fixed and
 * the last field it returned. On the wire it is opaque (`next_cursor`);
 * clients hand it back unchanged.
 */
export interface SnapshotCursor {
  /** The user's head when the read began: after the last page, pull from here (R74). */
  readonly asOf: number;
  readonly entityType: string;
  readonly entityId: string;
  readonly field: string;
}

const CursorTupleSchema = z.tuple([
  LogPositionSchema,
  EntityTypeSchema,
  EntityIdSchema,
  FieldSchema,
]);

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Encodes a cursor as the opaque `next_cursor` string: base64url of a JSON array. */
export function encodeSnapshotCursor(cursor: SnapshotCursor): string {
  const json = JSON.stringify([cursor.asOf, cursor.entityType, cursor.entityId, cursor.field]);
  let binary = "";
  for (const byte of new TextEncoder().encode(json)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The JSON inside a cursor string, or `undefined` when the string is not one. */
function cursorJson(text: string): unknown {
  if (!BASE64URL.test(text)) return undefined;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/** The `cursor` query parameter: a `next_cursor` from an earlier page, decoded and checked. */
export const SnapshotCursorSchema = z
  .string()
  .max(MAX_SNAPSHOT_CURSOR_LENGTH, { error: "cursor is too long" })
  .transform((text, ctx) => {
    const json = cursorJson(text);
    if (json === undefined) {
      ctx.issues.push({ code: "custom", message: "cursor is not a snapshot cursor", input: text });
      return z.NEVER;
    }
    return json;
  })
  .pipe(CursorTupleSchema)
  .transform(
    ([asOf, entityType, entityId, field]): SnapshotCursor => ({
      asOf,
      entityType,
      entityId,
      field,
    }),
  );

/** Query of `GET /sync/snapshot?limit=M&entity_type=T&cursor=C` (all optional; strings as in a URL). */
export const SnapshotQuerySchema = z.object({
  /** Most fields in the page, 1..5000. */
  limit: QueryInt("limit")
    .pipe(
      z
        .number()
        .min(1, { error: "limit must be at least 1" })
        .max(MAX_SNAPSHOT_LIMIT, { error: `limit must be at most ${MAX_SNAPSHOT_LIMIT}` }),
    )
    .default(DEFAULT_SNAPSHOT_LIMIT),
  /** Only entities of this type (R72). */
  entity_type: EntityTypeSchema.optional(),
  /** Continue after this `next_cursor`; absent on the first page. */
  cursor: SnapshotCursorSchema.optional(),
});
export type SnapshotQuery = z.infer<typeof SnapshotQuerySchema>;

/** One visible field: its value and the `id` of the op that wrote it (the field's winner, R48). */
export const SnapshotFieldSchema = z.object({
  field: FieldSchema,
  value: JsonValueSchema,
  id: OpIdSchema,
});
export type SnapshotField = z.infer<typeof SnapshotFieldSchema>;

/** One entity of a snapshot page, with the fields of it that the page holds (at least one). */
export const SnapshotEntitySchema = z.object({
  entity_type: EntityTypeSchema,
  entity_id: EntityIdSchema,
  fields: z.array(SnapshotFieldSchema).min(1),
});
export type SnapshotEntity = z.infer<typeof SnapshotEntitySchema>;

/** 200 response of `GET /sync/snapshot` (R72–R74). */
export const SnapshotResponseSchema = z.object({
  /** The user's head when the read began; the same on every page of one read. */
  as_of: LogPositionSchema,
  /** Visible entities in the server's key order; one may continue on the next page. */
  entities: z.array(SnapshotEntitySchema),
  /** Pass as `cursor` for the next page; `null` on the last page. */
  next_cursor: z.string().nullable(),
});
export type SnapshotResponse = z.infer<typeof SnapshotResponseSchema>;
