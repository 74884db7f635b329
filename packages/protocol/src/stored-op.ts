import { z } from "zod";
import { DeleteOpSchema, StoredLamportTsSchema, UpsertOpSchema } from "./op.js";
import { UuidSchema } from "./uuid.js";

/** Server sequence number: position in the user's log (a BIGSERIAL). */
export const OpIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Server time of an insert: ISO-8601 with an offset (`Z` or `±hh:mm`). Informational only. */
export const WallClockSchema = z.iso.datetime({ offset: true });

const StoredShape = {
  /** Server-assigned sequence number; the last-writer-wins order. */
  id: OpIdSchema,
  /** Device that proposed the op. */
  device_id: UuidSchema,
  /** Server time of the insert, ISO-8601. Informational only. */
  wall_clock: WallClockSchema,
  /** The device's Lamport timestamp as stored (older rows may exceed today's push bound). */
  lamport_ts: StoredLamportTsSchema,
};

/** An op as stored in the server's log. */
export const StoredOpSchema = z.discriminatedUnion("op", [
  UpsertOpSchema.extend(StoredShape),
  DeleteOpSchema.extend(StoredShape),
]);

/** An op as stored in the server's log. */
export type StoredOp = z.infer<typeof StoredOpSchema>;
