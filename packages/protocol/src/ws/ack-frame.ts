import { z } from "zod";
import { CursorSchema } from "../ack.js";

/** Client → server: the ACK frame `{ "ack": N }` (R34), same meaning as `POST /sync/ack`. */
export const AckFrameSchema = z.object({ ack: CursorSchema }).strict();
export type AckFrame = z.infer<typeof AckFrameSchema>;
