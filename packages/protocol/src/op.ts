import { z } from "zod";
import { containsNul, JsonValueSchema, jsonByteLength } from "./json.js";
import {
  MAX_ENTITY_ID_LENGTH,
  MAX_LAMPORT_TS,
  MAX_NAME_LENGTH,
  MAX_VALUE_BYTES,
} from "./limits.js";
import { UuidSchema } from "./uuid.js";

/** A positive integer that PostgreSQL stores as BIGINT and JSON carries exactly. */
export const LamportTsSchema = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(1, { error: "must be at least 1" })
  .max(MAX_LAMPORT_TS, { error: `must be at most ${MAX_LAMPORT_TS}` });

const noNul = { error: "must not contain U+0000" };
const EntityTypeSchema = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .refine((text) => !text.includes("\u0000"), noNul);
const EntityIdSchema = z
  .string()
  .min(1)
  .max(MAX_ENTITY_ID_LENGTH)
  .refine((text) => !text.includes("\u0000"), noNul);
const FieldSchema = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .refine((text) => !text.includes("\u0000"), noNul);

const OpBaseShape = {
  /** Client-made idempotency key, stable across retries. */
  operation_id: UuidSchema,
  /** The device's Lamport timestamp: strictly increasing per device. */
  lamport_ts: LamportTsSchema,
  entity_type: EntityTypeSchema,
  entity_id: EntityIdSchema,
};

/** Sets one field of an entity. */
export const UpsertOpSchema = z.object({
  ...OpBaseShape,
  op: z.literal("upsert"),
  field: FieldSchema,
  value: JsonValueSchema.refine((value) => jsonByteLength(value) <= MAX_VALUE_BYTES, {
    error: `must serialize to at most ${MAX_VALUE_BYTES} bytes of JSON`,
  }).refine((value) => !containsNul(value), noNul),
});

/** Deletes an entity: a tombstone that hides every field written before it. */
export const DeleteOpSchema = z.object({
  ...OpBaseShape,
  op: z.literal("delete"),
  field: z.null({ error: "must be null for a delete" }),
  value: z.null({ error: "must be null for a delete" }),
});

/** What a device proposes: an upsert of one field or the delete of an entity. */
export const OpSchema = z.discriminatedUnion("op", [UpsertOpSchema, DeleteOpSchema], {
  error: 'op must be "upsert" or "delete"',
});

export type UpsertOp = z.infer<typeof UpsertOpSchema>;
export type DeleteOp = z.infer<typeof DeleteOpSchema>;
/** What a device proposes. */
export type Op = z.infer<typeof OpSchema>;
