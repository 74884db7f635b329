import { z } from "zod";
import { MAX_PUSH_OPS } from "./limits.js";
import { OpSchema } from "./op.js";
import { StoredOpSchema } from "./stored-op.js";

/**
 * What a push asks to be answered with (R76): `"ops"` (the default) for a
 * {@link PushResponse}, every stored row; `"receipt"` for a `PushReceipt`,
 * the ids and clocks only.
 */
export const PushAnswerSchema = z.enum(["ops", "receipt"], {
  error: 'answer must be "ops" or "receipt"',
});
export type PushAnswer = z.infer<typeof PushAnswerSchema>;

/**
 * Body of `POST /sync/ops`: 1..1000 ops with strictly increasing
 * `lamport_ts`, and optionally the {@link PushAnswerSchema | answer} wanted.
 */
export const PushRequestSchema = z.object({
  answer: PushAnswerSchema.optional(),
  ops: z
    .array(OpSchema)
    .min(1, { error: "must hold at least one op" })
    .max(MAX_PUSH_OPS, { error: `must hold at most ${MAX_PUSH_OPS} ops` })
    .superRefine((ops, ctx) => {
      for (let i = 1; i < ops.length; i++) {
        const previous = ops[i - 1]!.lamport_ts;
        if (ops[i]!.lamport_ts <= previous) {
          ctx.addIssue({
            code: "custom",
            path: [i, "lamport_ts"],
            message: `lamport_ts must be strictly increasing within a batch (${ops[i]!.lamport_ts} follows ${previous})`,
          });
        }
      }
    }),
});
export type PushRequest = z.infer<typeof PushRequestSchema>;

/** One op of a push response: the stored row, and whether it was stored before. */
export const PushedOpSchema = z.intersection(
  StoredOpSchema,
  z.object({
    /** True when the server already had this `operation_id`: the row is the one stored the first time. */
    duplicate: z.boolean(),
  }),
);
export type PushedOp = z.infer<typeof PushedOpSchema>;

/** 200 response of `POST /sync/ops`, in request order. */
export const PushResponseSchema = z.object({ ops: z.array(PushedOpSchema) });
export type PushResponse = z.infer<typeof PushResponseSchema>;
