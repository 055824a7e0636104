import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { envelope, TestServer } from "../testing/httpServer";
import { ApiClient, type Authenticator } from "./client";
import { ApiError, describeFieldProblem } from "./errors";

let server: TestServer;
let client: ApiClient;

beforeEach(async () => {
  server = await TestServer.start();
  client = new ApiClient({ baseUrl: server.baseUrl, retryDelaysMs: [1, 1], sleep: () => Promise.resolve() });
});

afterEach(async () => {
  await server.stop();
});

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected the request to fail");
}

/** An authenticator whose token is renewed by a counter, as the session manager would. */
class CountingAuth implements Authenticator {
  token = "token-1";
  renewals = 0;
  currentToken(): Promise<string | null> {
    return Promise.resolve(this.token);
  }
  renewAfterExpiry(expired: string): Promise<string | null> {
    if (expired === this.token) {
      this.renewals += 1;
      this.token = `token-${this.renewals + 1}`;
    }
    return Promise.resolve(this.token);
  }
}

describe("ApiClient requests", () => {
  it("sends JSON with the bearer token and the Idempotency-Key", async () => {
    server.answer(() => ({ status: 201, body: { id: "txn_1" } }));
    client.setAuthenticator(new CountingAuth());

    const answer = await client.json<{ id: string }>({
      method: "POST",
      path: "/v1/transactions",
      body: { amount: 10_000 },
      idempotencyKey: "key-1",
    });

    expect(answer).toEqual({ id: "txn_1" });
    const [sent] = server.requests;
    expect(sent?.method).toBe("POST");
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers["accept"]).toBe("application/json");
    expect(sent?.headers["authorization"]).toBe("Bearer token-1");
    expect(sent?.headers["idempotency-key"]).toBe("key-1");
    expect(JSON.parse(sent?.body ?? "")).toEqual({ amount: 10_000 });
  });

  it("sends a JSON body on every POST, even one without data", async () => {
    server.answer(() => ({ status: 200, body: {} }));
    await client.json({ method: "POST", path: "/v1/card-registrations/r1/approve", auth: false });
    expect(server.requests[0]?.headers["content-type"]).toBe("application/json");
    expect(server.requests[0]?.body).toBe("{}");
  });

  it("sends a file as multipart/form-data, never as JSON, and does not retry it", async () => {
    server.answer(() => ({ status: 503, body: envelope("unavailable", "Try later.") }));
    const form = new FormData();
    form.append("file", new Blob(["ID,Card ID\n1,ZYW1\n"], { type: "text/csv" }), "pickup.csv");
    form.append("kind", "pickup");

    const error = await caught(client.json({ method: "POST", path: "/v1/deliveries/imports", form, auth: false }));

    expect(error.status).toBe(503);
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent?.body).toContain('name="file"; filename="pickup.csv"');
    expect(sent?.body).toContain("ID,Card ID\n1,ZYW1\n");
    expect(sent?.body).toContain('name="kind"');
  });

  it("builds the query string and leaves out empty values", async () => {
    server.answer(() => ({ status: 200, body: { items: [] } }));
    await client.json({ path: "/v1/statements/acc_1", query: { from: "2026-01-01", to: "", limit: 5, x: undefined }, auth: false });
    expect(server.requests[0]?.path).toBe("/v1/statements/acc_1?from=2026-01-01&limit=5");
  });

  it("returns undefined for 204", async () => {
    server.answer(() => ({ status: 204 }));
    await expect(client.json({ method: "POST", path: "/v1/auth/logout", auth: false })).resolves.toBeUndefined();
  });
});

describe("ApiClient errors", () => {
  it("turns the envelope into an ApiError with its fields", async () => {
    server.answer(() => ({
      status: 422,
      body: envelope("validation_error", "The request is not valid.", {
        fields: [
          { field: "dob", message: "Must be in the past." },
          { field: "email", message: "Not an email address." },
          { nonsense: true },
        ],
      }),
    }));

    const error = await caught(client.json({ method: "POST", path: "/v1/auth/signup", auth: false }));

    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_error");
    expect(error.message).toBe("The request is not valid.");
    expect(error.requestId).toBe("req_test");
    expect(error.fields).toEqual([
      { field: "dob", message: "Must be in the past." },
      { field: "email", message: "Not an email address." },
    ]);
  });

  it("keeps each field's rule and words a problem shown away from its field", async () => {
    server.answer(() => ({
      status: 422,
      body: envelope("validation_error", "The request is not valid.", {
        fields: [{ field: "holder_id", message: "Must be at most 40 characters.", rule: "max_length" }],
      }),
    }));
    const error = await caught(client.json({ method: "POST", path: "/v1/accounts", auth: false }));
    expect(error.fields).toEqual([{ field: "holder_id", message: "Must be at most 40 characters.", rule: "max_length" }]);
    const [problem] = error.fields;
    expect(problem && describeFieldProblem(problem)).toBe("Holder id: Must be at most 40 characters.");
    expect(describeFieldProblem({ field: "body", message: "Give either `csr` or `key_algorithm`." })).toBe(
      "Give either `csr` or `key_algorithm`.",
    );
  });

  it("keeps rule codes and details", async () => {
    server.answer(() => ({
      status: 409,
      body: envelope("card_already_registered", "This card is already registered.", { registration_id: "reg_1" }),
    }));
    const error = await caught(client.json({ method: "POST", path: "/v1/card-registrations", auth: false }));
    expect(error.code).toBe("card_already_registered");
    expect(error.details).toEqual({ registration_id: "reg_1" });
    expect(error.fields).toEqual([]);
  });

  it("reads Retry-After of a 429", async () => {
    server.answer(() => ({
      status: 429,
      headers: { "Retry-After": "30" },
      body: envelope("rate_limited", "Too many failed logins."),
    }));
    const error = await caught(client.json({ method: "POST", path: "/v1/auth/login", auth: false }));
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(30);
  });

  it("gives a generic message for an answer that is not an envelope", async () => {
    server.answer(() => ({ status: 502, text: "<html>Bad gateway</html>", headers: { "Content-Type": "text/html" } }));
    const error = await caught(client.json({ method: "POST", path: "/v1/transfers", auth: false }));
    expect(error.status).toBe(502);
    expect(error.code).toBe("internal_error");
    expect(error.message).toBe("Something went wrong on our side. Please try again in a moment.");
  });

  it("reports a service that cannot be reached", async () => {
    const url = server.baseUrl;
    await server.stop();
    const offline = new ApiClient({ baseUrl: url, retryDelaysMs: [] });
    const error = await caught(offline.json({ method: "POST", path: "/v1/transfers", auth: false }));
    expect(error.code).toBe("network_error");
    expect(error.status).toBe(0);
    server = await TestServer.start(); // for afterEach
  });

  it("refuses to send an authenticated request without a session", async () => {
    client.setAuthenticator({ currentToken: () => Promise.resolve(null), renewAfterExpiry: () => Promise.resolve(null) });
    const error = await caught(client.json({ path: "/v1/accounts" }));
    expect(error.code).toBe("session_ended");
    expect(server.requests).toHaveLength(0);
  });
});

describe("ApiClient token renewal", () => {
  it("renews an expired token once and retries", async () => {
    const auth = new CountingAuth();
    client.setAuthenticator(auth);
    server.answer((request) =>
      request.headers["authorization"] === "Bearer token-2"
        ? { status: 200, body: { items: [] } }
        : { status: 401, body: envelope("token_expired", "The access token has expired.") },
    );

    await expect(client.json({ path: "/v1/accounts" })).resolves.toEqual({ items: [] });

    expect(auth.renewals).toBe(1);
    expect(server.requests.map((r) => r.headers["authorization"])).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("does not renew for other 401s", async () => {
    const auth = new CountingAuth();
    client.setAuthenticator(auth);
    server.answer(() => ({ status: 401, body: envelope("unauthorized", "The access token is not valid.") }));
    const error = await caught(client.json({ path: "/v1/accounts" }));
    expect(error.code).toBe("unauthorized");
    expect(auth.renewals).toBe(0);
  });

  it("ends with session_ended when the token cannot be renewed", async () => {
    client.setAuthenticator({ currentToken: () => Promise.resolve("old"), renewAfterExpiry: () => Promise.resolve(null) });
    server.answer(() => ({ status: 401, body: envelope("token_expired", "The access token has expired.") }));
    const error = await caught(client.json({ path: "/v1/accounts" }));
    expect(error.code).toBe("session_ended");
    expect(server.requests).toHaveLength(1);
  });
});

describe("ApiClient retries", () => {
  it("retries a POST with an Idempotency-Key while the first one is in progress", async () => {
    let calls = 0;
    server.answer(() => {
      calls += 1;
      return calls === 1
        ? { status: 409, body: envelope("idempotency_key_in_use", "Still being processed.") }
        : { status: 201, body: { id: "trf_1" }, headers: { "Idempotent-Replayed": "true" } };
    });
    await expect(
      client.json({ method: "POST", path: "/v1/transfers", body: {}, idempotencyKey: "k", auth: false }),
    ).resolves.toEqual({ id: "trf_1" });
    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual(["k", "k"]);
  });

  it("retries a keyed POST after a dropped connection, with the same key", async () => {
    let calls = 0;
    server.answer(() => {
      calls += 1;
      return calls === 1 ? { status: 0, drop: true } : { status: 201, body: { id: "txn_1" } };
    });
    await expect(
      client.json({ method: "POST", path: "/v1/transactions", body: { amount: 1 }, idempotencyKey: "k2", auth: false }),
    ).resolves.toEqual({ id: "txn_1" });
    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual(["k2", "k2"]);
  });

  it("never retries a POST without a key", async () => {
    server.answer(() => ({ status: 503, body: envelope("unavailable", "Try again later.") }));
    const error = await caught(client.json({ method: "POST", path: "/v1/auth/refresh", body: {}, auth: false }));
    expect(error.code).toBe("unavailable");
    expect(server.requests).toHaveLength(1);
  });
});

describe("ApiClient downloads", () => {
  it("returns the file and the name the service suggests", async () => {
    server.answer(() => ({
      status: 200,
      text: "id,amount\ntxn_1,100\n",
      headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="statement-acc_1.csv"' },
    }));
    const file = await client.download({ path: "/v1/statements/acc_1", accept: "text/csv", auth: false });
    expect(file.filename).toBe("statement-acc_1.csv");
    expect(await file.blob.text()).toBe("id,amount\ntxn_1,100\n");
    expect(server.requests[0]?.headers["accept"]).toBe("text/csv");
  });
});
