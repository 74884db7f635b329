import { z } from "zod";

/**
 * A query-string parameter holding a non-negative integer (as in a URL:
 * digits only), parsed to a number no larger than `Number.MAX_SAFE_INTEGER`.
 * @param name the parameter, named in the error messages
 */
export const QueryInt = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, { error: `${name} must be a non-negative integer` })
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, { error: `${name} is too large` }));
