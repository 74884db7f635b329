import { z } from "zod";

/** An RFC 9562 UUID in its canonical text form (any version; v7 preferred for new ids). */
export const UuidSchema = z.uuid({ error: "must be a UUID" });
