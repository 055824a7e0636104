import { describeError } from "../api/errors";
import { Notice } from "./Notice";

/** What a screen shows while its data loads, or when loading failed (with a retry). */
export function LoadState({ loading, error, what, retry }: { loading: boolean; error: unknown; what: string; retry: () => void }) {
  if (error !== undefined) {
    return (
      <Notice kind="error">
        <p>
          {what} could not be loaded. {describeError(error)}
        </p>
        <button type="button" className="button button-secondary button-small" onClick={retry}>
          Try again
        </button>
      </Notice>
    );
  }
  if (loading) {
    return (
      <p className="loading" role="status">
        Loading {what.toLowerCase()}…
      </p>
    );
  }
  return null;
}
