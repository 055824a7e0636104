import { useCallback, useEffect, useEffectEvent, useRef, useState } from "react";

import { newIdempotencyKey } from "../api/client";

export interface Loaded<T> {
  /** The latest data loaded (kept while a reload is under way). */
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

interface LoadResult<T> {
  request: string;
  data: T | undefined;
  error: unknown;
}

/**
 * Load data for a screen; `key` names what is loaded (it loads again when the key changes, and
 * nothing is loaded while it is null). An answer to an older request is ignored.
 */
export function useLoad<T>(key: string | null, load: () => Promise<T>): Loaded<T> {
  const [generation, setGeneration] = useState(0);
  const [result, setResult] = useState<LoadResult<T> | null>(null);
  const runLoad = useEffectEvent(load);
  const request = key === null ? null : `${key}#${generation}`;

  useEffect(() => {
    if (request === null) {
      return undefined;
    }
    let current = true;
    runLoad().then(
      (data) => {
        if (current) {
          setResult({ request, data, error: undefined });
        }
      },
      (error: unknown) => {
        if (current) {
          setResult((previous) => ({ request, data: previous?.data, error }));
        }
      },
    );
    return () => {
      current = false;
    };
  }, [request]);

  const reload = useCallback(() => {
    setGeneration((n) => n + 1);
  }, []);

  const settled = result !== null && result.request === request;
  return {
    data: result?.data,
    error: settled ? result.error : undefined,
    loading: request !== null && !settled,
    reload,
  };
}

/**
 * The Idempotency-Key of one intended operation. The same key is sent again when the person
 * retries the same thing (after a network error, or a double click), so the service does it
 * once; `renew` starts a new operation (after a success, or when any field changes).
 */
export function useIdempotencyKey(): { key: string; renew: () => void } {
  const [key, setKey] = useState(newIdempotencyKey);
  const renew = useCallback(() => {
    setKey(newIdempotencyKey());
  }, []);
  return { key, renew };
}

/** A ref-guarded "busy" flag: a second submit while the first is in flight does nothing. */
export function useSubmitting(): { busy: boolean; run: (work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const run = useCallback(async (work: () => Promise<void>) => {
    if (inFlight.current) {
      return;
    }
    inFlight.current = true;
    setBusy(true);
    try {
      await work();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }, []);
  return { busy, run };
}
