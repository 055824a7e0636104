// The HTTP transport: JSON in and out, the error envelope turned into ApiError, access tokens
// from an Authenticator (refreshed once and retried when the service says a token expired), and
// automatic retries only where a retry cannot do anything twice (GETs, and POSTs that carry an
// Idempotency-Key, which the service replays instead of repeating).

import { ApiError, errorFromResponse, networkError, sessionEnded } from "./errors";

export interface Authenticator {
  /** A usable access token (renewed first when about to expire), or null when signed out. */
  currentToken(): Promise<string | null>;
  /** The service said `token_expired` for this token: a fresh token, or null when the session is over. */
  renewAfterExpiry(expiredToken: string): Promise<string | null>;
}

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: Method;
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON; POST and PATCH always send a JSON body (`{}` when none is given). */
  body?: unknown;
  /** Sent as multipart/form-data instead of JSON (a file upload); the browser sets the boundary. */
  form?: FormData;
  idempotencyKey?: string;
  accept?: string;
  /** true (default): the client's authenticator; false: no token; or a given authenticator. */
  auth?: boolean | Authenticator;
  signal?: AbortSignal;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** "omit" (default): no cookie; "same-origin" for the refresh-cookie routes only. */
  credentials?: RequestCredentials;
}

export interface ClientOptions {
  /** Prefix of every path; empty for the same origin the app is served from. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Delays between automatic retries of safe requests, in milliseconds. */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

export interface Download {
  blob: Blob;
  filename: string | null;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly retryDelaysMs: readonly number[];
  private readonly sleep: (ms: number) => Promise<void>;
  private authenticator: Authenticator | null = null;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    // Bound to globalThis: calling an unbound `fetch` as a method throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retryDelaysMs = options.retryDelaysMs ?? [300, 1000];
    this.sleep = options.sleep ?? defaultSleep;
  }

  setAuthenticator(authenticator: Authenticator | null): void {
    this.authenticator = authenticator;
  }

  /** A request whose answer is JSON (or nothing, for 204). */
  async json<T>(options: RequestOptions): Promise<T> {
    const response = await this.send({ accept: "application/json", ...options });
    if (response.status === 204) {
      return undefined as T;
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError({
        status: response.status,
        code: "bad_response",
        message: "The service sent an answer the browser could not read.",
      });
    }
  }

  /** A request whose answer is a file (a CSV statement), with the name the service suggests. */
  async download(options: RequestOptions): Promise<Download> {
    return this.downloadOf(await this.send(options));
  }

  /** A successful file answer as a Blob, with the name from Content-Disposition. */
  async downloadOf(response: Response): Promise<Download> {
    const disposition = response.headers.get("Content-Disposition") ?? "";
    const match = /filename="?([^";]+)"?/i.exec(disposition);
    return { blob: await response.blob(), filename: match?.[1] ?? null };
  }

  /** Send a request and return a successful Response, or throw ApiError. */
  send(options: RequestOptions): Promise<Response> {
    return this.dispatch(new Request(this.url(options), this.init(options)), this.pickAuthenticator(options.auth));
  }

  /**
   * A `fetch` for the generated client (openapi-fetch): the same tokens, renewal and retries as
   * `send`, and a non-2xx answer thrown as ApiError.
   */
  fetcher(auth: RequestOptions["auth"] = true): (request: Request) => Promise<Response> {
    return (request) => this.dispatch(request, this.pickAuthenticator(auth));
  }

  private async dispatch(request: Request, authenticator: Authenticator | null): Promise<Response> {
    let token: string | null = null;
    if (authenticator) {
      token = await authenticator.currentToken();
      if (token === null) {
        throw sessionEnded();
      }
    }
    let response = await this.sendWithRetries(request, token);
    if (response.status === 401 && authenticator && token !== null) {
      const error = await errorFromResponse(response.clone());
      if (error.code === "token_expired") {
        const renewed = await authenticator.renewAfterExpiry(token);
        if (renewed === null) {
          throw sessionEnded();
        }
        response = await this.sendWithRetries(request, renewed);
      }
    }
    if (!response.ok) {
      throw await errorFromResponse(response);
    }
    return response;
  }

  private pickAuthenticator(auth: RequestOptions["auth"]): Authenticator | null {
    if (auth === false) {
      return null;
    }
    if (auth === undefined || auth === true) {
      return this.authenticator;
    }
    return auth;
  }

  private async sendWithRetries(request: Request, token: string | null): Promise<Response> {
    const retryable = request.method === "GET" || request.headers.has("Idempotency-Key");
    for (let attempt = 0; ; attempt += 1) {
      const delay = this.retryDelaysMs[attempt];
      let response: Response;
      try {
        response = await this.fetchImpl(this.attempt(request, token));
      } catch (error) {
        if (request.signal.aborted) {
          throw error;
        }
        if (retryable && delay !== undefined) {
          await this.sleep(delay);
          continue;
        }
        throw networkError();
      }
      // The first request with this key is still being processed: wait, then get its answer.
      const inUse = response.status === 409 && (await this.codeOf(response)) === "idempotency_key_in_use";
      const unavailable = response.status === 503 && retryable;
      if ((inUse || unavailable) && delay !== undefined) {
        await this.sleep(delay);
        continue;
      }
      return response;
    }
  }

  /** One try of a request: a copy (the original's body stays unread for a retry) with the token. */
  private attempt(request: Request, token: string | null): Request {
    const headers = new Headers(request.headers);
    if (token !== null) {
      headers.set("Authorization", `Bearer ${token}`);
    }
    // Tokens travel in the Authorization header; the only cookie the app uses is the refresh
    // cookie, which the session manager's requests ask for themselves.
    return new Request(request.clone(), { headers });
  }

  private async codeOf(response: Response): Promise<string | null> {
    const error = await errorFromResponse(response.clone());
    return error.code;
  }

  private url(options: RequestOptions): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== "") {
        params.set(key, String(value));
      }
    }
    const search = params.toString();
    return `${this.baseUrl}${options.path}${search ? `?${search}` : ""}`;
  }

  /** Where the generated client sends its requests. */
  get base(): string {
    return this.baseUrl;
  }

  private init(options: RequestOptions): RequestInit {
    const method = options.method ?? "GET";
    const headers: Record<string, string> = { Accept: options.accept ?? "application/json", ...options.headers };
    let body: string | FormData | undefined;
    if (options.form !== undefined) {
      body = options.form;
    } else if (method === "POST" || method === "PATCH" || options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body ?? {});
    }
    if (options.idempotencyKey !== undefined) {
      headers["Idempotency-Key"] = options.idempotencyKey;
    }
    return {
      method,
      headers,
      body,
      signal: options.signal ?? null,
      credentials: options.credentials ?? "omit",
      cache: "no-store",
    };
  }
}

/** A random Idempotency-Key (works outside secure contexts, unlike crypto.randomUUID). */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
