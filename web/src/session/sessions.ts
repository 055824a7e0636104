// Signed-in users. Access tokens are kept in memory only (never in localStorage, sessionStorage,
// IndexedDB or a readable cookie); each user's refresh token is kept by the browser in an
// HttpOnly cookie that only /v1/auth/refresh ever receives (see src/tessera/auth/cookies.py), so
// no script can read a token, while a reload or a new tab stays signed in: on start the app asks
// /v1/auth/refresh/sessions for a fresh access token for each user whose cookie the browser holds.
//
// Several users may be signed in at once in one tab (the "multi-user selector" of the source
// brief, handy for demos and for staff who test what a customer sees); one is active, and which
// one is remembered in the tab's history state, so a reload keeps it.
//
// Refresh policy, per session:
// - shortly before the access token expires (60 s, or a quarter of its lifetime if shorter), it
//   is renewed if the person used the tab since the token was issued;
// - otherwise a warning is shown and the session ends a few seconds before expiry unless the
//   person does anything (a key, a click, or the "Stay signed in" button) before then. This is
//   the banking idle time-out, with the warning WCAG 2.2.1 asks for (about a minute);
// - a request that meets `token_expired` anyway (a laptop that slept) renews once and retries;
// - refreshes never overlap, within a tab or across the tabs of this browser (a Web Lock): the
//   service rotates refresh tokens and treats the reuse of a rotated one as theft, revoking the
//   whole family, and every tab shares the one cookie;
// - a session that ends always says why (logged out, idle, expired, or signed out in another tab).

import { ApiClient, type Authenticator } from "../api/client";
import { ApiError } from "../api/errors";
import type { Me, Role, TokenPair } from "../api/types";
import { holderName } from "../ui/people";

export type EndReason = "logout" | "idle" | "expired" | "elsewhere";

export interface SessionView {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly firm: string;
  readonly holderId: string | null;
  readonly displayName: string;
  readonly expiresAt: number;
  /** Set when the person was idle: the session ends at `endsAt` unless renewed. */
  readonly endsAt: number | null;
  readonly refreshing: boolean;
  readonly refreshError: string | null;
}

export interface SessionsState {
  readonly sessions: readonly SessionView[];
  readonly active: SessionView | null;
  /** The last session that ended, and why; `email` is null when a reload found it over. */
  readonly lastEnded: { readonly email: string | null; readonly reason: EndReason } | null;
  /** True until the sessions kept by the browser's cookies have been restored (on start). */
  readonly restoring: boolean;
}

/** Runs `work` while holding the browser-wide refresh lock (Web Locks), or directly without it. */
export type RefreshLock = <T>(work: () => Promise<T>) => Promise<T>;

export const browserLock: RefreshLock = async (work) => {
  // Absent outside a secure context and in Node (unit tests): then one tab serialises itself.
  const locks: LockManager | undefined = typeof navigator === "undefined" ? undefined : (navigator as Partial<Navigator>).locks;
  if (!locks) {
    return work();
  }
  let result: Awaited<ReturnType<typeof work>> | undefined;
  await locks.request("tessera-refresh", async () => {
    result = await work();
  });
  return result as Awaited<ReturnType<typeof work>>;
};

/** Where the active user's id is kept across a reload: this tab's history entry (no token). */
export interface ActiveMemory {
  read(): string | null;
  write(userId: string | null): void;
}

function tabHistory(): History | null {
  return typeof window === "undefined" ? null : window.history;
}

export const historyMemory: ActiveMemory = {
  read: () => {
    const state: unknown = tabHistory()?.state;
    if (typeof state === "object" && state !== null && "tesseraActiveUser" in state) {
      const value = (state).tesseraActiveUser;
      return typeof value === "string" ? value : null;
    }
    return null;
  },
  write: (userId) => {
    const history = tabHistory();
    if (history === null) {
      return;
    }
    const state: unknown = history.state;
    const base = typeof state === "object" && state !== null ? state : {};
    history.replaceState({ ...base, tesseraActiveUser: userId }, "");
  },
};

/** Tells the other tabs of this browser that a user signed out here (BroadcastChannel). */
export interface TabChannel {
  post(message: { type: "signed-out"; userId: string }): void;
  listen(onSignedOut: (userId: string) => void): void;
}

export function browserChannel(): TabChannel | null {
  if (typeof BroadcastChannel === "undefined") {
    return null;
  }
  const channel = new BroadcastChannel("tessera-sessions");
  return {
    post: (message) => {
      channel.postMessage(message);
    },
    listen: (onSignedOut) => {
      channel.onmessage = (event: MessageEvent<unknown>) => {
        const data = event.data as { type?: unknown; userId?: unknown } | null;
        if (data?.type === "signed-out" && typeof data.userId === "string") {
          onSignedOut(data.userId);
        }
      };
    },
  };
}

export interface SessionOptions {
  clock?: Clock;
  lock?: RefreshLock;
  memory?: ActiveMemory;
  channel?: TabChannel | null;
}

interface BrowserAccess {
  user_id: string;
  access_token: string;
  expires_in: number;
}

interface BrowserSessions {
  sessions: BrowserAccess[];
  ended: string[];
}

const COOKIE_SESSION = { "X-Tessera-Session": "cookie" } as const;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const browserClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Renew before a request when the token has less than this left. */
const MIN_REMAINING_MS = 2_000;
const MAX_REFRESH_MARGIN_MS = 60_000;
const MAX_END_LEAD_MS = 5_000;

export function isStaff(role: Role): boolean {
  return role !== "customer";
}

export function isAdmin(role: Role): boolean {
  return role === "firm_admin" || role === "platform_admin";
}

class LiveSession implements Authenticator {
  accessToken: string;
  issuedAt: number;
  expiresAt: number;
  endsAt: number | null = null;
  refreshError: string | null = null;
  inFlight: Promise<string | null> | null = null;
  timers: unknown[] = [];
  ended = false;

  constructor(
    private readonly manager: SessionManager,
    readonly me: Me,
    tokens: { access_token: string; expires_in: number },
    now: number,
  ) {
    this.accessToken = tokens.access_token;
    this.issuedAt = now;
    this.expiresAt = now + tokens.expires_in * 1000;
  }

  currentToken(): Promise<string | null> {
    return this.manager.tokenFor(this);
  }

  renewAfterExpiry(expiredToken: string): Promise<string | null> {
    return this.manager.renewSession(this, expiredToken);
  }

  view(): SessionView {
    const holder = this.me.account_holder;
    return {
      userId: this.me.user.id,
      email: this.me.user.email,
      role: this.me.role,
      firm: this.me.firm,
      holderId: holder?.id ?? null,
      displayName: holder ? holderName(holder) : this.me.user.email,
      expiresAt: this.expiresAt,
      endsAt: this.endsAt,
      refreshing: this.inFlight !== null,
      refreshError: this.refreshError,
    };
  }
}

type Listener = () => void;

export class SessionManager implements Authenticator {
  private sessions: LiveSession[] = [];
  private activeId: string | null = null;
  private lastEnded: SessionsState["lastEnded"] = null;
  private lastActivity = Number.NEGATIVE_INFINITY;
  private listeners = new Set<Listener>();
  private restoring = false;
  private state: SessionsState = { sessions: [], active: null, lastEnded: null, restoring: false };
  private readonly clock: Clock;
  private readonly lock: RefreshLock;
  private readonly memory: ActiveMemory;
  private readonly channel: TabChannel | null;

  constructor(
    private readonly client: ApiClient,
    options: SessionOptions = {},
  ) {
    this.clock = options.clock ?? browserClock;
    this.lock = options.lock ?? browserLock;
    this.memory = options.memory ?? historyMemory;
    this.channel = options.channel === undefined ? browserChannel() : options.channel;
    this.channel?.listen((userId) => {
      const session = this.find(userId);
      if (session) {
        this.end(session, "elsewhere");
      }
    });
  }

  // --- for React (useSyncExternalStore) --------------------------------------------------

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = (): SessionsState => this.state;

  private emit(): void {
    const views = this.sessions.map((s) => s.view());
    this.state = {
      sessions: views,
      active: views.find((v) => v.userId === this.activeId) ?? null,
      lastEnded: this.lastEnded,
      restoring: this.restoring,
    };
    for (const listener of this.listeners) {
      listener();
    }
  }

  // --- signing in and out -----------------------------------------------------------------

  /** Log in with email and password; the new session becomes the active one. */
  async signIn(email: string, password: string): Promise<SessionView> {
    const tokens = await this.client.json<TokenPair>({
      method: "POST",
      path: "/v1/auth/login",
      body: { email, password },
      auth: false,
      headers: COOKIE_SESSION,
      credentials: "same-origin",
    });
    const issuedAt = this.clock.now();
    const me = await this.client.json<Me>({
      path: "/v1/auth/me",
      auth: fixedToken(tokens.access_token),
    });
    // The same person logging in again replaces their session (the cookie was replaced too).
    const previous = this.find(me.user.id);
    if (previous) {
      this.drop(previous);
    }
    this.add(new LiveSession(this, me, tokens, issuedAt));
    this.lastEnded = null;
    this.emit();
    const session = this.find(me.user.id);
    if (!session) {
      throw new Error("the new session is missing");
    }
    return session.view();
  }

  /**
   * On start: a fresh access token for every user whose refresh cookie this browser holds, so
   * that a reload or a new tab stays signed in. Sessions found over are reported as such.
   */
  async restore(): Promise<void> {
    this.restoring = true;
    this.emit();
    try {
      const answer = await this.lock(() =>
        this.client.json<BrowserSessions>({
          method: "POST",
          path: "/v1/auth/refresh/sessions",
          body: {},
          auth: false,
          headers: COOKIE_SESSION,
          credentials: "same-origin",
        }),
      );
      const issuedAt = this.clock.now();
      const remembered = this.memory.read();
      for (const access of answer.sessions) {
        try {
          const me = await this.client.json<Me>({ path: "/v1/auth/me", auth: fixedToken(access.access_token) });
          if (!this.find(me.user.id)) {
            this.add(new LiveSession(this, me, access, issuedAt), access.user_id === remembered);
          }
        } catch {
          // This user can no longer be read (deleted meanwhile): they stay signed out.
        }
      }
      if (answer.sessions.length === 0 && answer.ended.length > 0) {
        this.lastEnded = { email: null, reason: "expired" };
      }
    } catch {
      // No network or no service: the person logs in as usual.
    } finally {
      this.restoring = false;
      this.emit();
    }
  }

  /** Sign the active (or a given) user out: the service revokes the refresh-token family. */
  async logout(userId?: string): Promise<void> {
    const session = this.find(userId ?? this.activeId);
    if (!session) {
      return;
    }
    try {
      await this.revoke(session);
    } finally {
      this.end(session, "logout");
      this.channel?.post({ type: "signed-out", userId: session.me.user.id });
    }
  }

  switchTo(userId: string): void {
    if (this.find(userId)) {
      this.activeId = userId;
      this.memory.write(userId);
      this.emit();
    }
  }

  clearLastEnded(): void {
    if (this.lastEnded !== null) {
      this.lastEnded = null;
      this.emit();
    }
  }

  /** The person pressed a key or clicked: they are here, so sessions may be renewed. */
  noteActivity(): void {
    this.lastActivity = this.clock.now();
    for (const session of this.sessions) {
      if (session.endsAt !== null) {
        void this.refresh(session).catch(() => undefined);
      }
    }
  }

  /** Renew the active session now (the manual "Refresh session" button). */
  async refreshActive(): Promise<void> {
    const session = this.find(this.activeId);
    if (session) {
      await this.refresh(session);
    }
  }

  // --- Authenticator for the active session ----------------------------------------------

  currentToken(): Promise<string | null> {
    const session = this.find(this.activeId);
    return session ? this.tokenFor(session) : Promise.resolve(null);
  }

  renewAfterExpiry(expiredToken: string): Promise<string | null> {
    // Usually the active session; if another request renewed it meanwhile, its token changed.
    const session =
      this.sessions.find((s) => s.accessToken === expiredToken) ?? this.find(this.activeId);
    return session ? this.renewSession(session, expiredToken) : Promise.resolve(null);
  }

  // --- used by LiveSession ----------------------------------------------------------------

  async tokenFor(session: LiveSession): Promise<string | null> {
    if (session.ended) {
      return null;
    }
    if (session.expiresAt - this.clock.now() < MIN_REMAINING_MS) {
      return this.refresh(session);
    }
    return session.accessToken;
  }

  renewSession(session: LiveSession, expiredToken: string): Promise<string | null> {
    if (session.ended) {
      return Promise.resolve(null);
    }
    if (session.accessToken !== expiredToken) {
      return Promise.resolve(session.accessToken); // another request renewed it meanwhile
    }
    return this.refresh(session);
  }

  // --- internals --------------------------------------------------------------------------

  private find(userId: string | null): LiveSession | undefined {
    return userId === null ? undefined : this.sessions.find((s) => s.me.user.id === userId);
  }

  /** Rotate the refresh token; null (and the session ends) when the service refuses it. */
  private refresh(session: LiveSession): Promise<string | null> {
    if (session.ended) {
      return Promise.resolve(null);
    }
    if (session.inFlight) {
      return session.inFlight;
    }
    const attempt = (async (): Promise<string | null> => {
      try {
        const userId = session.me.user.id;
        const answer = await this.lock(() =>
          this.client.json<BrowserSessions>({
            method: "POST",
            path: "/v1/auth/refresh/sessions",
            body: { user_id: userId },
            auth: false,
            headers: COOKIE_SESSION,
            credentials: "same-origin",
          }),
        );
        const tokens = answer.sessions.find((s) => s.user_id === userId);
        if (session.ended) {
          return null;
        }
        if (!tokens) {
          this.end(session, "expired");
          return null;
        }
        const now = this.clock.now();
        session.accessToken = tokens.access_token;
        session.issuedAt = now;
        session.expiresAt = now + tokens.expires_in * 1000;
        session.endsAt = null;
        session.refreshError = null;
        this.schedule(session);
        return session.accessToken;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          this.end(session, "expired");
          return null;
        }
        session.refreshError =
          error instanceof ApiError ? error.message : "The session could not be renewed.";
        throw error;
      } finally {
        session.inFlight = null;
        if (!session.ended) {
          this.emit();
        }
      }
    })();
    session.inFlight = attempt;
    this.emit();
    return attempt;
  }

  private schedule(session: LiveSession): void {
    this.clearTimers(session);
    const lifetime = Math.max(session.expiresAt - session.issuedAt, 0);
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetime / 4);
    const refreshAt = session.expiresAt - margin;
    session.timers.push(
      this.clock.setTimeout(
        () => {
          this.onRefreshDue(session);
        },
        Math.max(refreshAt - this.clock.now(), 0),
      ),
    );
  }

  private onRefreshDue(session: LiveSession): void {
    if (session.ended) {
      return;
    }
    if (this.lastActivity > session.issuedAt) {
      void this.refresh(session).catch(() => undefined);
      return;
    }
    const lifetime = Math.max(session.expiresAt - session.issuedAt, 0);
    const endsAt = session.expiresAt - Math.min(MAX_END_LEAD_MS, lifetime / 10);
    session.endsAt = endsAt;
    session.timers.push(
      this.clock.setTimeout(
        () => {
          void this.endIdle(session);
        },
        Math.max(endsAt - this.clock.now(), 0),
      ),
    );
    this.emit();
  }

  private async endIdle(session: LiveSession): Promise<void> {
    if (session.ended || session.endsAt === null) {
      return;
    }
    try {
      await this.revoke(session);
    } finally {
      this.end(session, "idle");
    }
  }

  /** Revoke the session's refresh-token family and clear its cookie (best effort). */
  private async revoke(session: LiveSession): Promise<void> {
    try {
      await this.client.json<undefined>({
        method: "DELETE",
        path: `/v1/auth/refresh/sessions/${encodeURIComponent(session.me.user.id)}`,
        auth: false,
        headers: COOKIE_SESSION,
        credentials: "same-origin",
      });
    } catch {
      // Signing out locally must not depend on the network; the tokens are dropped regardless.
    }
  }

  private add(session: LiveSession, makeActive = true): void {
    this.sessions.push(session);
    if (makeActive || this.activeId === null) {
      this.activeId = session.me.user.id;
      this.memory.write(this.activeId);
    }
    this.schedule(session);
  }

  private end(session: LiveSession, reason: EndReason): void {
    if (session.ended) {
      return;
    }
    this.drop(session);
    this.lastEnded = { email: session.me.user.email, reason };
    this.emit();
  }

  private drop(session: LiveSession): void {
    session.ended = true;
    this.clearTimers(session);
    session.accessToken = "";
    this.sessions = this.sessions.filter((s) => s !== session);
    if (this.activeId === session.me.user.id) {
      this.activeId = this.sessions[0]?.me.user.id ?? null;
      this.memory.write(this.activeId);
    }
  }

  private clearTimers(session: LiveSession): void {
    for (const timer of session.timers) {
      this.clock.clearTimeout(timer);
    }
    session.timers = [];
  }
}

function fixedToken(token: string): Authenticator {
  return {
    currentToken: () => Promise.resolve(token),
    renewAfterExpiry: () => Promise.resolve(null),
  };
}
