import { z } from "zod";

/** A cursor: the highest op id a device has durably applied (0: none). */
export const CursorSchema = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must be at least 0" })
  .max(Number.MAX_SAFE_INTEGER);

/** Body of `POST /sync/ack`. */
export const AckRequestSchema = z.object({ last_seen_id: CursorSchema });
export type AckRequest = z.infer<typeof AckRequestSchema>;

/** 200 response of `POST /sync/ack`: the cursor now recorded for this device. */
export const AckResponseSchema = z.object({ last_seen_id: CursorSchema });
export type AckResponse = z.infer<typeof AckResponseSchema>;
