// A small client-side router over the History API. Every navigation the person makes (a link, a
// submitted form, Back and Forward) gets a new key, which pages use to move focus to their heading
// so that a screen reader hears where it arrived. Redirects (replace) keep the key, so the first
// load, even through a redirect such as "/" -> "/login", leaves focus at the top of the document
// where the skip link is. Fragment-only changes (the skip link itself) are not navigations.

import { type AnchorHTMLAttributes, type MouseEvent, type ReactNode, useEffect, useSyncExternalStore } from "react";

export interface Location {
  readonly pathname: string;
  readonly search: string;
  /** 0 on the first load, then one more for each in-app navigation. */
  readonly key: number;
}

type Listener = () => void;

const listeners = new Set<Listener>();
let current: Location = readLocation(0);

function readLocation(key: number): Location {
  return { pathname: window.location.pathname, search: window.location.search, key };
}

function update(newKey: boolean): void {
  const next = readLocation(current.key + (newKey ? 1 : 0));
  if (next.pathname === current.pathname && next.search === current.search) {
    return;
  }
  current = next;
  for (const listener of listeners) {
    listener();
  }
}

window.addEventListener("popstate", () => {
  update(true);
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  // The state (who is the active user, see session/sessions.ts) goes on to the next entry.
  const state: unknown = window.history.state;
  if (options.replace) {
    window.history.replaceState(state, "", to);
  } else {
    window.history.pushState(state, "", to);
  }
  update(!options.replace);
}

function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function useLocation(): Location {
  return useSyncExternalStore(subscribe, () => current);
}

export function useSearchParam(name: string): string | null {
  const { search } = useLocation();
  return new URLSearchParams(search).get(name);
}

/** Match "/statements/:accountId" against a path; the decoded parameters, or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const patternParts = pattern.split("/").filter(Boolean);
  const pathParts = pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  if (patternParts.length !== pathParts.length) {
    return null;
  }
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index] ?? "";
    if (part.startsWith(":")) {
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (part !== actual) {
      return null;
    }
  }
  return params;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href"> & {
  to: string;
  children: ReactNode;
};

/** An ordinary link that navigates inside the app (a new tab or window still works). */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handleClick} {...rest}>
      {children}
    </a>
  );
}

/** Replace the current entry with another path (for guards and the home page). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => {
    navigate(to, { replace: true });
  }, [to]);
  return null;
}
