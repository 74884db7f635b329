import { z } from "zod";
import { OpsFrameSchema } from "./ops-frame.js";
import { PongFrameSchema } from "./pong-frame.js";
import { ResyncRequiredFrameSchema } from "./resync-required-frame.js";

/** Any frame the server sends on `/sync/ws`. */
export const ServerFrameSchema = z.discriminatedUnion("type", [
  OpsFrameSchema,
  ResyncRequiredFrameSchema,
  PongFrameSchema,
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
