import { type ReactNode, useLayoutEffect, useRef } from "react";

/**
 * A table's container. On a wide screen a wide table scrolls sideways inside it, so it is a
 * labelled region that keyboard users can focus and scroll with the arrow keys. On a narrow
 * screen (styles.css, "stacked tables") every row becomes a card that shows each field under its
 * column's name, with the row's actions at the bottom: nothing is cut off and nothing scrolls
 * sideways. The column names are copied onto the cells (`data-label`) here, from the table's own
 * header, so that every table gets this without repeating its headers in each cell.
 */
export function TableRegion({ id, labelledBy, label, children }: { id?: string; labelledBy?: string; label?: string; children: ReactNode }) {
  const wrap = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const element = wrap.current;
    if (!element) {
      return undefined;
    }
    const label = () => {
      for (const table of element.querySelectorAll("table")) {
        const names = Array.from(table.querySelectorAll("thead th"), (th) =>
          th.classList.contains("actions-col") ? "" : th.textContent.trim(),
        );
        for (const row of table.querySelectorAll("tbody tr")) {
          Array.from(row.children).forEach((cell, index) => {
            const name = names[index] ?? "";
            if (cell.getAttribute("data-label") !== name) {
              cell.setAttribute("data-label", name);
            }
          });
        }
      }
    };
    label();
    const observer = new MutationObserver(label);
    observer.observe(element, { childList: true, subtree: true });
    return () => {
      observer.disconnect();
    };
  }, []);
  return (
    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex -- a scrollable region must be focusable (WCAG 2.1.1)
    <div ref={wrap} id={id} className="table-wrap" role="region" aria-labelledby={labelledBy} aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** The header of a table's last column, which holds each row's buttons (named for screen readers). */
export function ActionsHeader() {
  return (
    <th scope="col" className="actions-col">
      <span className="visually-hidden">Actions</span>
    </th>
  );
}
