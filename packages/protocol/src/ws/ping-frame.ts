import { z } from "zod";

/** Client → server: heartbeat; the server answers `{ "type": "pong" }`. */
export const PingFrameSchema = z.object({ type: z.literal("ping") });
export type PingFrame = z.infer<typeof PingFrameSchema>;
