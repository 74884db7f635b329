import type { z } from "zod";
import type { InvalidRequestError, RequestIssue } from "./error-body.js";

/** Turns a zod error into the `issues` of an `invalid_request` body. */
export function requestIssues(error: z.ZodError): RequestIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
    message: issue.message,
    code: issue.code,
  }));
}

/**
 * The `invalid_request` body for a zod error, with a one-line `message` that
 * names every problem, e.g. `ops.0.lamport_ts: must be at least 1`.
 */
export function invalidRequest(error: z.ZodError, what = "request"): InvalidRequestError {
  const issues = requestIssues(error);
  const summary = issues
    .map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");
  return { type: "invalid_request", message: `invalid ${what}: ${summary}`, issues };
}
