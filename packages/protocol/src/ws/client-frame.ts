import { z } from "zod";
import { AckFrameSchema } from "./ack-frame.js";
import { PingFrameSchema } from "./ping-frame.js";

/** Any frame a client sends on `/sync/ws`. */
export const ClientFrameSchema = z.union([AckFrameSchema, PingFrameSchema], {
  error: 'a client frame is { "ack": N } or { "type": "ping" }',
});
export type ClientFrame = z.infer<typeof ClientFrameSchema>;
