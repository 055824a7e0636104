import { useCallback, useEffect, useRef, useState } from "react";

export interface Outcome {
  kind: "success" | "error";
  text: string;
  /** Grows with every message, so the same text twice still takes focus again. */
  seq: number;
}

/** The result of the last action on a list (approve, block, revoke...), shown above it. */
export function useOutcome(): {
  outcome: Outcome | null;
  show: (kind: Outcome["kind"], text: string) => void;
  clear: () => void;
} {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const show = useCallback((kind: Outcome["kind"], text: string) => {
    setOutcome((previous) => ({ kind, text, seq: (previous?.seq ?? 0) + 1 }));
  }, []);
  const clear = useCallback(() => {
    setOutcome(null);
  }, []);
  return { outcome, show, clear };
}

/**
 * The message of the last action. It takes focus when it appears: the button that was pressed
 * has often gone with the row it acted on, and this is where the person learns what happened.
 * A dialog that led to the action must not give focus back to its opener (`returnFocus`).
 */
export function OutcomeNotice({ outcome, testId }: { outcome: Outcome | null; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!outcome) {
      return undefined;
    }
    // After this render's effects: a dialog that closes in them gives focus back to its opener
    // as it closes, and the page behind a modal dialog cannot take focus until then.
    const timer = setTimeout(() => {
      box.current?.focus();
    }, 0);
    return () => {
      clearTimeout(timer);
    };
  }, [outcome]);
  if (!outcome) {
    return null;
  }
  return (
    <div
      ref={box}
      tabIndex={-1}
      className={`notice notice-${outcome.kind}`}
      role={outcome.kind === "error" ? "alert" : "status"}
      data-testid={testId}
    >
      <p>{outcome.text}</p>
    </div>
  );
}
