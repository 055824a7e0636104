import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { ApiClient } from "../api/client";
import type { Me } from "../api/types";
import { envelope, type RecordedRequest, TestServer } from "../testing/httpServer";
import { type Clock, SessionManager } from "./sessions";

/** A clock the test moves by hand; timers fire in order as it passes them. */
class ManualClock implements Clock {
  private time = 1_700_000_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= target)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) {
        break;
      }
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = target;
  }
}

/** A scripted auth service: rotating refresh tokens, as the real one does. */
class AuthService {
  refreshToken = "r1";
  issued = 1;
  refreshCalls = 0;
  logouts: string[] = [];

  constructor(private readonly server: TestServer) {}

  me(email: string, id: string): Me {
    return {
      user: { id, email, role: "customer", firm: "firm_default", created_at: "2026-11-23T08:00:00Z" },
      role: "customer",
      firm: "firm_default",
      account_holder: {
        id: `hld_${id}`,
        user_id: id,
        first_name: "Ada",
        last_name: "Lovelace",
        dob: "1990-12-10",
        phone: null,
        created_at: "2026-11-23T08:00:00Z",
      },
    };
  }

  install(users: Record<string, string> = { "ada@example.com": "usr_1" }): void {
    const tokenOwner = new Map<string, string>();
    this.server.answer((request: RecordedRequest) => {
      const body = request.body ? (JSON.parse(request.body) as Record<string, string>) : {};
      if (request.path === "/v1/auth/login") {
        const email = body["email"] ?? "";
        const access = `a${this.issued}`;
        tokenOwner.set(access, email);
        this.refreshToken = `r${this.issued}`;
        this.issued += 1;
        return { status: 200, body: { access_token: access, token_type: "bearer", expires_in: 900, refresh_token: this.refreshToken } };
      }
      if (request.path === "/v1/auth/me") {
        const token = (request.headers["authorization"] ?? "").replace("Bearer ", "");
        const email = tokenOwner.get(token) ?? "";
        return { status: 200, body: this.me(email, users[email] ?? "usr_x") };
      }
      if (request.path === "/v1/auth/refresh") {
        this.refreshCalls += 1;
        if (body["refresh_token"] !== this.refreshToken) {
          return { status: 401, body: envelope("unauthorized", "The refresh token is not valid.") };
        }
        const access = `a${this.issued}`;
        this.refreshToken = `r${this.issued}`;
        this.issued += 1;
        return { status: 200, body: { access_token: access, token_type: "bearer", expires_in: 900, refresh_token: this.refreshToken } };
      }
      if (request.path === "/v1/auth/logout") {
        this.logouts.push(body["refresh_token"] ?? "");
        return { status: 204 };
      }
      return { status: 404, body: envelope("not_found", "No route matches this path.") };
    });
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let server: TestServer;
let clock: ManualClock;
let sessions: SessionManager;
let auth: AuthService;

beforeEach(async () => {
  server = await TestServer.start();
  clock = new ManualClock();
  const client = new ApiClient({ baseUrl: server.baseUrl, retryDelaysMs: [] });
  sessions = new SessionManager(client, clock);
  client.setAuthenticator(sessions);
  auth = new AuthService(server);
  auth.install({ "ada@example.com": "usr_1", "bob@example.com": "usr_2" });
});

afterEach(async () => {
  await server.stop();
});

describe("SessionManager", () => {
  it("signs in, learns who the user is and exposes no token", async () => {
    const view = await sessions.signIn("ada@example.com", "pw");

    expect(view).toMatchObject({ userId: "usr_1", email: "ada@example.com", role: "customer", holderId: "hld_usr_1" });
    expect(view.expiresAt).toBe(clock.now() + 900_000);
    expect(sessions.getSnapshot().active?.userId).toBe("usr_1");
    expect(JSON.stringify(sessions.getSnapshot())).not.toMatch(/"a1"|"r1"/);
    expect(await sessions.currentToken()).toBe("a1");
  });

  it("collapses concurrent renewals into one refresh call", async () => {
    await sessions.signIn("ada@example.com", "pw");

    const renewed = await Promise.all([
      sessions.renewAfterExpiry("a1"),
      sessions.renewAfterExpiry("a1"),
      sessions.refreshActive().then(() => sessions.currentToken()),
    ]);

    expect(auth.refreshCalls).toBe(1);
    expect(renewed).toEqual(["a2", "a2", "a2"]);
  });

  it("renews shortly before expiry when the person has been active", async () => {
    await sessions.signIn("ada@example.com", "pw");
    clock.advance(1_000);
    sessions.noteActivity();

    clock.advance(840_000); // 14 minutes after login: one minute before expiry

    await until(() => auth.refreshCalls === 1, "the refresh");
    await until(() => sessions.getSnapshot().active?.expiresAt === clock.now() + 900_000, "the new expiry");
    expect(sessions.getSnapshot().active?.endsAt).toBeNull();
  });

  it("warns an idle person, and renews when they come back", async () => {
    await sessions.signIn("ada@example.com", "pw");

    clock.advance(840_000);
    const warned = sessions.getSnapshot().active;
    expect(warned?.endsAt).toBe(warned ? warned.expiresAt - 5_000 : null);
    expect(auth.refreshCalls).toBe(0);

    sessions.noteActivity();
    await until(() => sessions.getSnapshot().active?.endsAt === null, "the warning to clear");
    expect(auth.refreshCalls).toBe(1);
  });

  it("ends an idle session before its token expires and revokes it", async () => {
    await sessions.signIn("ada@example.com", "pw");

    clock.advance(900_000);

    await until(() => sessions.getSnapshot().active === null, "the session to end");
    expect(sessions.getSnapshot().lastEnded).toEqual({ email: "ada@example.com", reason: "idle" });
    await until(() => auth.logouts.length === 1, "the logout call");
    expect(auth.logouts).toEqual(["r1"]);
    expect(await sessions.currentToken()).toBeNull();
  });

  it("ends the session when the service refuses the refresh token", async () => {
    await sessions.signIn("ada@example.com", "pw");
    auth.refreshToken = "revoked-elsewhere";

    await expect(sessions.renewAfterExpiry("a1")).resolves.toBeNull();

    expect(sessions.getSnapshot().active).toBeNull();
    expect(sessions.getSnapshot().lastEnded).toEqual({ email: "ada@example.com", reason: "expired" });
  });

  it("logs out with the current refresh token", async () => {
    await sessions.signIn("ada@example.com", "pw");
    await sessions.refreshActive();

    await sessions.logout();

    expect(auth.logouts).toEqual(["r2"]);
    expect(sessions.getSnapshot()).toMatchObject({ active: null, sessions: [], lastEnded: { reason: "logout" } });
  });

  it("keeps several users signed in and switches between them", async () => {
    await sessions.signIn("ada@example.com", "pw");
    await sessions.signIn("bob@example.com", "pw");
    expect(sessions.getSnapshot().sessions.map((s) => s.email)).toEqual(["ada@example.com", "bob@example.com"]);
    expect(sessions.getSnapshot().active?.email).toBe("bob@example.com");
    expect(await sessions.currentToken()).toBe("a2");

    sessions.switchTo("usr_1");
    expect(await sessions.currentToken()).toBe("a1");

    await sessions.logout();
    expect(sessions.getSnapshot().active?.email).toBe("bob@example.com");
  });
});
