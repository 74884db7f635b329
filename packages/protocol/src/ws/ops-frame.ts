import { z } from "zod";
import { StoredOpSchema } from "../stored-op.js";

/** Server → client: new ops of the user, in ascending `id`. */
export const OpsFrameSchema = z.object({
  type: z.literal("ops"),
  ops: z.array(StoredOpSchema),
});
export type OpsFrame = z.infer<typeof OpsFrameSchema>;
