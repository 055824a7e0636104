// Errors from the API's envelope ({"error": {code, message, details}, "request_id"}), plus the
// few the browser produces itself (no network, a session that ended, an unreadable answer).

import { duration } from "../ui/plural";

export interface FieldProblem {
  /** The field's dotted path (`labels.env`, `events.0`), a query parameter's name or `path`. */
  field: string;
  /** A sentence for people ("Must be at least 8 characters."); it never repeats the value. */
  message: string;
  /** A stable name of the rule (`min_length`, `required`...); absent from older answers. */
  rule?: string;
}

/** A field problem shown away from its field: the sentence, led by the field's name. */
export function describeFieldProblem(problem: FieldProblem): string {
  if (problem.field === "body" || problem.field === "") {
    return problem.message;
  }
  const words = problem.field.replace(/[._]+/g, " ").trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}: ${problem.message}`;
}

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  requestId?: string | null;
  retryAfterSeconds?: number | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** `details.fields` of a validation error: which field is wrong and why. */
  get fields(): FieldProblem[] {
    const raw = this.details["fields"];
    if (!Array.isArray(raw)) {
      return [];
    }
    return raw.flatMap((entry: unknown) => {
      if (typeof entry !== "object" || entry === null) {
        return [];
      }
      const { field, message, rule } = entry as Record<string, unknown>;
      if (typeof field !== "string" || typeof message !== "string") {
        return [];
      }
      return typeof rule === "string" ? [{ field, message, rule }] : [{ field, message }];
    });
  }
}

/** Codes the browser itself gives to errors that did not come from the service. */
export const CLIENT_CODES = {
  network: "network_error",
  sessionEnded: "session_ended",
  badResponse: "bad_response",
} as const;

export function networkError(): ApiError {
  return new ApiError({
    status: 0,
    code: CLIENT_CODES.network,
    message: "The service could not be reached. Check your connection and try again.",
  });
}

export function sessionEnded(): ApiError {
  return new ApiError({
    status: 401,
    code: CLIENT_CODES.sessionEnded,
    message: "Your session has ended. Please log in again.",
  });
}

/** Read an error answer into an ApiError, whatever its body is. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get("Retry-After"));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (typeof body === "object" && body !== null && "error" in body) {
    const envelope = body as { error?: unknown; request_id?: unknown };
    const error = envelope.error as Record<string, unknown> | undefined;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      const details =
        typeof error.details === "object" && error.details !== null
          ? (error.details as Record<string, unknown>)
          : {};
      return new ApiError({
        status: response.status,
        code: error.code,
        message: error.message,
        details,
        requestId: typeof envelope.request_id === "string" ? envelope.request_id : null,
        retryAfterSeconds,
      });
    }
  }
  return new ApiError({
    status: response.status,
    code: response.status >= 500 ? "internal_error" : CLIENT_CODES.badResponse,
    message:
      response.status >= 500
        ? "Something went wrong on our side. Please try again in a moment."
        : `The service answered with an unexpected status (${response.status}).`,
    requestId: response.headers.get("X-Request-Id"),
    retryAfterSeconds,
  });
}

/** A message fit to show a person for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfterSeconds !== null) {
      // The service says how long the lock-out lasts (Retry-After): say it too.
      return `${error.message} Try again in ${duration(error.retryAfterSeconds)}.`;
    }
    return error.message;
  }
  return "Something went wrong in the browser. Please reload the page and try again.";
}
