import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { ApiClient } from "../api/client";
import type { Me } from "../api/types";
import { envelope, type RecordedRequest, TestServer } from "../testing/httpServer";
import { type ActiveMemory, type Clock, SessionManager, type TabChannel } from "./sessions";

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

/**
 * A scripted auth service. The refresh cookies a browser would keep are kept here, by user: Node's
 * fetch has no cookie jar, and the code under test never sees them anyway (they are HttpOnly).
 */
class AuthService {
  issued = 1;
  refreshCalls = 0;
  logouts: string[] = [];
  /** The browser's refresh cookies: user id -> the refresh token it holds. */
  readonly cookies = new Map<string, string>();
  readonly withoutSessionHeader: string[] = [];

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

  private access(userId: string, owners: Map<string, string>): { user_id: string; access_token: string; token_type: string; expires_in: number } {
    const token = `a${this.issued}`;
    owners.set(token, userId);
    this.cookies.set(userId, `r${this.issued}`);
    this.issued += 1;
    return { user_id: userId, access_token: token, token_type: "bearer", expires_in: 900 };
  }

  install(users: Record<string, string> = { "ada@example.com": "usr_1" }): void {
    const owners = new Map<string, string>();
    const emails = new Map(Object.entries(users).map(([email, id]) => [id, email]));
    this.server.answer((request: RecordedRequest) => {
      const body = request.body ? (JSON.parse(request.body) as Record<string, string>) : {};
      const cookieRoute = request.path === "/v1/auth/login" || request.path.startsWith("/v1/auth/refresh");
      if (cookieRoute && request.headers["x-tessera-session"] !== "cookie") {
        this.withoutSessionHeader.push(request.path);
        return { status: 403, body: envelope("csrf_rejected", "Not the web app.") };
      }
      if (request.path === "/v1/auth/login") {
        const { access_token, expires_in } = this.access(users[body["email"] ?? ""] ?? "usr_x", owners);
        return { status: 200, body: { access_token, token_type: "bearer", expires_in } };
      }
      if (request.path === "/v1/auth/me") {
        const token = (request.headers["authorization"] ?? "").replace("Bearer ", "");
        const id = owners.get(token) ?? "usr_x";
        return { status: 200, body: this.me(emails.get(id) ?? "", id) };
      }
      if (request.path === "/v1/auth/refresh/sessions" && request.method === "POST") {
        this.refreshCalls += 1;
        const wanted = body["user_id"];
        const held = [...this.cookies.keys()].filter((id) => wanted === undefined || id === wanted);
        const sessions = held.filter((id) => this.cookies.get(id) !== "revoked").map((id) => this.access(id, owners));
        const ended = held.filter((id) => !sessions.some((s) => s.user_id === id));
        if (wanted !== undefined && held.length === 0) {
          ended.push(wanted);
        }
        return { status: 200, body: { sessions, ended } };
      }
      if (request.path.startsWith("/v1/auth/refresh/sessions/") && request.method === "DELETE") {
        const id = decodeURIComponent(request.path.split("/").pop() ?? "");
        this.logouts.push(`${id}:${this.cookies.get(id) ?? "none"}`);
        this.cookies.delete(id);
        return { status: 204 };
      }
      return { status: 404, body: envelope("not_found", "No route matches this path.") };
    });
  }
}

/** The BroadcastChannel of two tabs, in one process. */
class TwoTabs {
  private readonly listeners: ((userId: string) => void)[] = [];
  tab(): TabChannel {
    let mine: ((userId: string) => void) | null = null;
    return {
      post: (message) => {
        for (const listener of this.listeners) {
          if (listener !== mine) {
            listener(message.userId);
          }
        }
      },
      listen: (onSignedOut) => {
        mine = onSignedOut;
        this.listeners.push(onSignedOut);
      },
    };
  }
}

class MemoryOfActive implements ActiveMemory {
  value: string | null = null;
  read(): string | null {
    return this.value;
  }
  write(userId: string | null): void {
    this.value = userId;
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
let memory: MemoryOfActive;

function newTab(channel: TabChannel | null = null): SessionManager {
  const client = new ApiClient({ baseUrl: server.baseUrl, retryDelaysMs: [] });
  const manager = new SessionManager(client, { clock, memory, channel, lock: (work) => work() });
  client.setAuthenticator(manager);
  return manager;
}

beforeEach(async () => {
  server = await TestServer.start();
  clock = new ManualClock();
  memory = new MemoryOfActive();
  sessions = newTab();
  auth = new AuthService(server);
  auth.install({ "ada@example.com": "usr_1", "bob@example.com": "usr_2" });
});

afterEach(async () => {
  await server.stop();
});

describe("SessionManager", () => {
  it("signs in with the refresh token left to a cookie, and exposes no token", async () => {
    const view = await sessions.signIn("ada@example.com", "pw");

    expect(view).toMatchObject({ userId: "usr_1", email: "ada@example.com", role: "customer", holderId: "hld_usr_1" });
    expect(view.expiresAt).toBe(clock.now() + 900_000);
    expect(sessions.getSnapshot().active?.userId).toBe("usr_1");
    expect(JSON.stringify(sessions.getSnapshot())).not.toMatch(/"a1"|"r1"/);
    expect(await sessions.currentToken()).toBe("a1");
    expect(auth.cookies.get("usr_1")).toBe("r1");
    expect(auth.withoutSessionHeader).toEqual([]);
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
    expect(auth.logouts).toEqual(["usr_1:r1"]);
    expect(await sessions.currentToken()).toBeNull();
  });

  it("ends the session when the service says it is over", async () => {
    await sessions.signIn("ada@example.com", "pw");
    auth.cookies.set("usr_1", "revoked");

    await expect(sessions.renewAfterExpiry("a1")).resolves.toBeNull();

    expect(sessions.getSnapshot().active).toBeNull();
    expect(sessions.getSnapshot().lastEnded).toEqual({ email: "ada@example.com", reason: "expired" });
  });

  it("logs out through the cookie route, which clears the cookie", async () => {
    await sessions.signIn("ada@example.com", "pw");
    await sessions.refreshActive();

    await sessions.logout();

    expect(auth.logouts).toEqual(["usr_1:r2"]);
    expect(auth.cookies.has("usr_1")).toBe(false);
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

  it("restores every user after a reload, with the one who was active still active", async () => {
    await sessions.signIn("ada@example.com", "pw");
    await sessions.signIn("bob@example.com", "pw");
    sessions.switchTo("usr_1");

    const reloaded = newTab();
    expect(reloaded.getSnapshot().active).toBeNull();
    const restoring = reloaded.restore();
    expect(reloaded.getSnapshot().restoring).toBe(true);
    await restoring;

    const state = reloaded.getSnapshot();
    expect(state.restoring).toBe(false);
    expect(state.sessions.map((s) => s.email).sort()).toEqual(["ada@example.com", "bob@example.com"]);
    expect(state.active?.email).toBe("ada@example.com");
    expect(state.lastEnded).toBeNull();
    expect(await reloaded.currentToken()).not.toBeNull();
  });

  it("says so when a reload finds the session over", async () => {
    await sessions.signIn("ada@example.com", "pw");
    auth.cookies.set("usr_1", "revoked");

    const reloaded = newTab();
    await reloaded.restore();

    expect(reloaded.getSnapshot()).toMatchObject({ active: null, lastEnded: { email: null, reason: "expired" } });
  });

  it("a new browser without cookies starts signed out, with nothing to say", async () => {
    await sessions.restore();
    expect(sessions.getSnapshot()).toMatchObject({ active: null, sessions: [], lastEnded: null, restoring: false });
  });

  it("signs the user out in the other tabs when they log out in one", async () => {
    const tabs = new TwoTabs();
    const first = newTab(tabs.tab());
    await first.signIn("ada@example.com", "pw");
    const second = newTab(tabs.tab());
    await second.restore();
    expect(second.getSnapshot().active?.email).toBe("ada@example.com");

    await first.logout();

    expect(second.getSnapshot()).toMatchObject({ active: null, lastEnded: { email: "ada@example.com", reason: "elsewhere" } });
  });

  it("serialises refreshes through the browser-wide lock", async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = new ApiClient({ baseUrl: server.baseUrl, retryDelaysMs: [] });
    let held = false;
    const manager = new SessionManager(client, {
      clock,
      memory,
      channel: null,
      lock: async (work) => {
        order.push(held ? "waited-while-held" : "took");
        held = true;
        try {
          await gate;
          return await work();
        } finally {
          held = false;
        }
      },
    });
    client.setAuthenticator(manager);
    const restoring = manager.restore();
    await until(() => order.length === 1, "the lock");
    expect(auth.refreshCalls).toBe(0); // nothing is sent before the lock is held
    release();
    await restoring;
    expect(auth.refreshCalls).toBe(1);
  });
});
