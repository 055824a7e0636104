interface PagerProps {
  label: string;
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
}

/** "Showing 1–50 of 120" with previous and next buttons. */
export function Pager({ label, offset, limit, total, onChange }: PagerProps) {
  if (total <= limit && offset === 0) {
    return null;
  }
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={label}>
      <p>
        Showing {first}–{last} of {total}
      </p>
      <button
        type="button"
        className="button button-secondary button-small"
        disabled={offset === 0}
        onClick={() => {
          onChange(Math.max(0, offset - limit));
        }}
      >
        Previous page
      </button>
      <button
        type="button"
        className="button button-secondary button-small"
        disabled={last >= total}
        onClick={() => {
          onChange(offset + limit);
        }}
      >
        Next page
      </button>
    </nav>
  );
}
