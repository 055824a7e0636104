// Who is signed in, when their session expires (with a manual refresh), switching between the
// users signed in in this tab, and logging out.

import { useEffect, useRef, useState } from "react";

import { describeError } from "../api/errors";
import type { Role } from "../api/types";
import { Link, navigate } from "../app/router";
import { useServices, useSessions } from "../app/services";
import { announce } from "./announcer";
import { count } from "./plural";

export const ROLE_NAMES: Readonly<Record<Role, string>> = {
  customer: "Customer",
  firm_operator: "Firm operator",
  firm_admin: "Firm admin",
  platform_admin: "Platform admin",
};

/** The current time, re-read every second while mounted. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, []);
  return now;
}

export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

function spokenRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  const parts = [];
  if (minutes) {
    parts.push(count(minutes, "minute"));
  }
  if (seconds || !minutes) {
    parts.push(count(seconds, "second"));
  }
  return parts.join(" ");
}

/**
 * The account menu: a button with the signed-in person's name opens a panel with their role,
 * when the session expires, the switch between the users signed in in this tab, "Refresh
 * session", "Add user" and "Log out". Escape or a click elsewhere closes it, and focus goes back
 * to the button.
 */
export function SessionBar() {
  const { sessions } = useServices();
  const state = useSessions();
  const now = useNow();
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const active = state.active;

  useEffect(() => {
    if (!open) {
      return undefined;
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        toggle.current?.focus();
      }
    };
    const onPointer = (event: PointerEvent) => {
      if (box.current && event.target instanceof Node && !box.current.contains(event.target)) {
        setOpen(false);
      }
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open]);

  if (!active) {
    return null;
  }
  const remaining = active.expiresAt - now;

  const refresh = async () => {
    setError(null);
    try {
      await sessions.refreshActive();
      announce("Session refreshed.");
    } catch (caught) {
      setError(describeError(caught));
    }
  };

  const logout = async () => {
    const name = active.displayName;
    setOpen(false);
    await sessions.logout();
    // With other users still signed in in this tab, carry on as the next one.
    if (sessions.getSnapshot().active) {
      announce(`${name} logged out.`);
      navigate("/");
    } else {
      navigate("/login");
    }
  };

  return (
    <div className="account" data-testid="session-bar" ref={box}>
      <button
        ref={toggle}
        type="button"
        className="account-toggle"
        aria-expanded={open}
        aria-controls="account-panel"
        onClick={() => {
          setOpen((current) => !current);
        }}
      >
        <span className="visually-hidden">Account menu: </span>
        <span className="account-name" data-testid="session-user">
          {active.displayName}
        </span>
        <span className="chevron" aria-hidden="true">
          {open ? "▲" : "▼"}
        </span>
      </button>
      <div id="account-panel" className="account-panel" hidden={!open} data-testid="account-panel">
        <p className="session-user">
          Signed in as <strong>{active.displayName}</strong>{" "}
          <span className="session-role">({ROLE_NAMES[active.role]})</span>
        </p>
        <p className="session-expiry">
          <span id="session-expiry-label">Session expires in</span>{" "}
          <span
            role="timer"
            aria-labelledby="session-expiry-label"
            data-testid="session-expiry"
            className={remaining < 120_000 ? "expiry-soon" : undefined}
            title={`About ${spokenRemaining(remaining)}`}
          >
            {formatRemaining(remaining)}
          </span>
        </p>
        {state.sessions.length > 1 ? (
          <div className="session-switch">
            <label htmlFor="session-switch">Switch user</label>
            <select
              id="session-switch"
              className="input input-compact"
              value={active.userId}
              onChange={(event) => {
                sessions.switchTo(event.target.value);
                const next = state.sessions.find((s) => s.userId === event.target.value);
                announce(`Now acting as ${next?.displayName ?? "another user"}.`);
                setOpen(false);
                navigate("/");
              }}
            >
              {state.sessions.map((session) => (
                <option key={session.userId} value={session.userId}>
                  {session.displayName} ({ROLE_NAMES[session.role]})
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="session-actions">
          <button type="button" className="button button-small button-secondary" onClick={() => void refresh()} aria-disabled={active.refreshing ? true : undefined}>
            {active.refreshing ? "Refreshing…" : "Refresh session"}
          </button>
          <Link
            to="/login?add=1"
            className="button button-small button-secondary"
            onClick={() => {
              setOpen(false);
            }}
          >
            Add user
          </Link>
          <button type="button" className="button button-small" onClick={() => void logout()}>
            Log out
          </button>
        </div>
        {error || active.refreshError ? (
          <p className="field-error" role="alert">
            {error ?? active.refreshError}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** Shown when the person has been idle: the session ends soon unless they stay. */
export function IdleWarning() {
  const { sessions } = useServices();
  const { active } = useSessions();
  const now = useNow();
  if (!active || active.endsAt === null) {
    return null;
  }
  return (
    <div className="idle-warning" data-testid="idle-warning">
      <p role="alert">
        You have been inactive, so for your security you will be signed out in about a minute.
      </p>
      <p>
        Time left: <span role="timer">{formatRemaining(active.endsAt - now)}</span>
      </p>
      <div className="session-actions">
        <button
          type="button"
          className="button"
          onClick={() => {
            void sessions.refreshActive().then(() => {
              announce("You are still signed in.");
            });
          }}
        >
          Stay signed in
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => {
            void sessions.logout().then(() => {
              navigate("/login");
            });
          }}
        >
          Log out now
        </button>
      </div>
    </div>
  );
}
