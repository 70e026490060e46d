// The single onError hook: every failure becomes the contract's error body (5xx bodies say only "internal error").
import { Elysia } from "elysia";
import { AppError, asAppError, type ErrorBody, type FieldDetail } from "../kernel/errors";
import { log } from "../log";
import { requestId } from "./observability";

interface FieldIssue {
  path?: string;
  message?: string;
  summary?: string;
}

function fieldName(path: string | undefined, where: string): string {
  const trimmed = (path ?? "").replace(/^\//, "").replaceAll("/", ".");
  return trimmed || where;
}

function errorResponse(status: number, body: ErrorBody, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}

function validationDetails(where: string, issues: FieldIssue[]): FieldDetail[] {
  const seen = new Set<string>();
  const details: FieldDetail[] = [];
  for (const issue of issues) {
    const field = fieldName(issue.path, where);
    if (seen.has(field)) continue;
    seen.add(field);
    details.push({ field, message: issue.summary ?? issue.message ?? "is invalid" });
  }
  return details;
}

/**
 * The single error hook: AppError → its status and code; an unreachable database → 503
 * database_unavailable with Retry-After; validation → 422 with details; malformed JSON → 400;
 * unknown routes → 404; anything else → 500 "internal error", with the cause logged, never sent.
 */
export const errorHandler = new Elysia({ name: "errors" }).onError({ as: "global" }, ({ code, error, request }) => {
  // Elysia wraps what a parse hook throws (e.g. our 413) in its own ParseError.
  const appError = code === "PARSE" && error.cause instanceof AppError ? error.cause : asAppError(error);
  if (appError) {
    const body: ErrorBody = { success: false, error: appError.code, message: appError.message };
    if (appError.details) body.details = appError.details;
    return errorResponse(appError.status, body, appError.headers);
  }
  switch (code) {
    case "VALIDATION": {
      const details = validationDetails(error.type, error.all as FieldIssue[]);
      return errorResponse(422, {
        success: false,
        error: "validation_failed",
        message: `Invalid ${error.type}: ${details.map((d) => d.field).join(", ")}`,
        details,
      });
    }
    case "PARSE":
      return errorResponse(400, {
        success: false,
        error: "invalid_json",
        message: "The request body is not valid JSON",
      });
    case "NOT_FOUND":
      return errorResponse(404, { success: false, error: "not_found", message: "No such route" });
    default: {
      // The request id ties this line to the request's own log line; the path has no query (no ?token=).
      log("error", "unhandled error", {
        id: requestId(request),
        method: request.method,
        path: new URL(request.url).pathname,
        error: String(error),
      });
      return errorResponse(500, { success: false, error: "internal_error", message: "internal error" });
    }
  }
});
