import type { ReactNode } from "react";

/**
 * A wide table's scroll container: on a narrow screen the table scrolls sideways inside it, so
 * it is a labelled region that keyboard users can focus and scroll with the arrow keys.
 */
export function TableRegion({ id, labelledBy, label, children }: { id?: string; labelledBy?: string; label?: string; children: ReactNode }) {
  return (
    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex -- a scrollable region must be focusable (WCAG 2.1.1)
    <div id={id} className="table-wrap" role="region" aria-labelledby={labelledBy} aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** The header of a table's last column, which holds each row's buttons (named for screen readers). */
export function ActionsHeader() {
  return (
    <th scope="col">
      <span className="visually-hidden">Actions</span>
    </th>
  );
}
