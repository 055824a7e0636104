// Signed-in users and their tokens, kept in memory only: never in localStorage, sessionStorage,
// IndexedDB or a cookie, so closing or reloading the tab signs everyone out and no script on a
// later visit can read a token.
//
// Several users may be signed in at once in one tab (the "multi-user selector" of the source
// brief, handy for demos and for staff who test what a customer sees); one is active.
//
// Refresh policy, per session:
// - shortly before the access token expires (60 s, or a quarter of its lifetime if shorter), it
//   is renewed with the refresh token if the person used the tab since the token was issued;
// - otherwise a warning is shown and the session ends a few seconds before expiry unless the
//   person does anything (a key, a click, or the "Stay signed in" button) before then. This is
//   the banking idle time-out, with the warning WCAG 2.2.1 asks for (about a minute);
// - a request that meets `token_expired` anyway (a laptop that slept) renews once and retries;
// - refreshes of one session never overlap: the service rotates refresh tokens and treats the
//   reuse of a rotated one as theft, revoking the whole family.

import { ApiClient, type Authenticator } from "../api/client";
import { ApiError } from "../api/errors";
import type { Me, Role, TokenPair } from "../api/types";
import { holderName } from "../ui/people";

export type EndReason = "logout" | "idle" | "expired";

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
  readonly lastEnded: { readonly email: string; readonly reason: EndReason } | null;
}

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
  refreshToken: string;
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
    tokens: TokenPair,
    now: number,
  ) {
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token ?? "";
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
  private state: SessionsState = { sessions: [], active: null, lastEnded: null };

  constructor(
    private readonly client: ApiClient,
    private readonly clock: Clock = browserClock,
  ) {}

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
    });
    const issuedAt = this.clock.now();
    const me = await this.client.json<Me>({
      path: "/v1/auth/me",
      auth: fixedToken(tokens.access_token),
    });
    const previous = this.sessions.find((s) => s.me.user.id === me.user.id);
    if (previous) {
      // The same person logged in again: keep one session, and revoke the older login.
      void this.revoke(previous);
      this.drop(previous);
    }
    const session = new LiveSession(this, me, tokens, issuedAt);
    this.sessions.push(session);
    this.activeId = me.user.id;
    this.lastEnded = null;
    this.schedule(session);
    this.emit();
    return session.view();
  }

  /** Sign the active (or a given) user out: the service revokes the refresh-token family. */
  async logout(userId?: string): Promise<void> {
    const session = this.find(userId ?? this.activeId);
    if (!session) {
      return;
    }
    try {
      await this.revoke(session, session);
    } finally {
      this.end(session, "logout");
    }
  }

  switchTo(userId: string): void {
    if (this.find(userId)) {
      this.activeId = userId;
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
        const tokens = await this.client.json<TokenPair>({
          method: "POST",
          path: "/v1/auth/refresh",
          body: { refresh_token: session.refreshToken },
          auth: false,
        });
        if (session.ended) {
          return null;
        }
        const now = this.clock.now();
        session.accessToken = tokens.access_token;
        session.refreshToken = tokens.refresh_token ?? "";
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

  /** Revoke the session's refresh-token family at the service (best effort). */
  private async revoke(session: LiveSession, auth?: Authenticator): Promise<void> {
    try {
      await this.client.json<undefined>({
        method: "POST",
        path: "/v1/auth/logout",
        body: { refresh_token: session.refreshToken },
        auth: auth ?? fixedToken(session.accessToken),
      });
    } catch {
      // Signing out locally must not depend on the network; the tokens are dropped regardless.
    }
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
    session.refreshToken = "";
    this.sessions = this.sessions.filter((s) => s !== session);
    if (this.activeId === session.me.user.id) {
      this.activeId = this.sessions[0]?.me.user.id ?? null;
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
