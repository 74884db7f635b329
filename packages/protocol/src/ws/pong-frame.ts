import { z } from "zod";

/** Server → client: answer to a `ping` frame. */
export const PongFrameSchema = z.object({ type: z.literal("pong") });
export type PongFrame = z.infer<typeof PongFrameSchema>;
