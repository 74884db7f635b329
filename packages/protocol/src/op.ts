import { z } from "zod";
import { boundedJsonValueSchema, textProblem } from "./json.js";
import {
  MAX_ENTITY_ID_LENGTH,
  MAX_LAMPORT_TS,
  MAX_NAME_LENGTH,
  MAX_STORED_LAMPORT_TS,
  MAX_VALUE_BYTES,
} from "./limits.js";
import { UuidSchema } from "./uuid.js";

const lamportTs = (max: number) =>
  z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be at least 1" })
    .max(max, { error: `must be at most ${max}` });

/** The `lamport_ts` of an op a device pushes: 1..{@link MAX_LAMPORT_TS} (R43). */
export const LamportTsSchema = lamportTs(MAX_LAMPORT_TS);

/**
 * The `lamport_ts` of a stored op: up to {@link MAX_STORED_LAMPORT_TS}, since
 * ops stored before the push bound was lowered keep theirs.
 */
export const StoredLamportTsSchema = lamportTs(MAX_STORED_LAMPORT_TS);

/** A name of 1..`max` characters that PostgreSQL stores unchanged ({@link textProblem}). */
const nameSchema = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      const problem = textProblem(text);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
/** An op's `entity_type`: 1..{@link MAX_NAME_LENGTH} characters, no U+0000 or lone surrogate (R2). */
export const EntityTypeSchema = nameSchema(MAX_NAME_LENGTH);
/** An op's `entity_id`: 1..{@link MAX_ENTITY_ID_LENGTH} characters, no U+0000 or lone surrogate (R2). */
export const EntityIdSchema = nameSchema(MAX_ENTITY_ID_LENGTH);
/** An upsert's `field`: 1..{@link MAX_NAME_LENGTH} characters, no U+0000 or lone surrogate (R2). */
export const FieldSchema = nameSchema(MAX_NAME_LENGTH);

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
  value: boundedJsonValueSchema(MAX_VALUE_BYTES),
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
