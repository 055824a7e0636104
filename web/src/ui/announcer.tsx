// One polite live region for the whole app, present from the first render so that screen
// readers pick up what is put into it later ("Deposit done", "Session renewed", ...).

import { useSyncExternalStore } from "react";

type Listener = () => void;

const listeners = new Set<Listener>();
let message = "";
let clearTimer: ReturnType<typeof setTimeout> | undefined;

function publish(text: string): void {
  message = text;
  for (const listener of listeners) {
    listener();
  }
}

/** Have assistive technology read a short message, without moving focus. */
export function announce(text: string): void {
  // Clear first so that the same message twice in a row is read twice.
  publish("");
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => {
    publish(text);
  }, 50);
}

function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function Announcer() {
  const text = useSyncExternalStore(subscribe, () => message);
  return (
    <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}

// A message that survives one navigation, shown on the next page ("Account opened"). Reading
// it is pure (peek, during render); the page that showed it consumes it in an effect.
let pendingFlash: string | null = null;

export function setFlash(text: string): void {
  pendingFlash = text;
  announce(text);
}

export function peekFlash(): string | null {
  return pendingFlash;
}

export function consumeFlash(text: string | null): void {
  if (text !== null && pendingFlash === text) {
    pendingFlash = null;
  }
}
