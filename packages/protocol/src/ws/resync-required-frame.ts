import { z } from "zod";
import { CursorSchema } from "../ack.js";

/**
 * Server → client: the `since` the socket was opened with lies in a compacted
 * range. The server closes the socket; the client wipes and pulls from 0.
 */
export const ResyncRequiredFrameSchema = z.object({
  type: z.literal("resync_required"),
  compacted_up_to: CursorSchema,
});
export type ResyncRequiredFrame = z.infer<typeof ResyncRequiredFrameSchema>;
