import { type ReactNode, useEffect, useRef, useState } from "react";

import { useLocation } from "../app/router";
import { consumeFlash, peekFlash } from "./announcer";

interface PageProps {
  title: string;
  /** A line under the heading. */
  lead?: ReactNode;
  children: ReactNode;
}

/**
 * A screen: sets the document title, renders the one h1, and after an in-app navigation moves
 * focus to that h1 so keyboard and screen reader users start at the top of the new content.
 */
export function Page({ title, lead, children }: PageProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { key } = useLocation();
  const [flash] = useState(peekFlash);

  useEffect(() => {
    consumeFlash(flash);
  }, [flash]);

  useEffect(() => {
    document.title = `${title} · Tessera`;
  }, [title]);

  useEffect(() => {
    if (key > 0) {
      heading.current?.focus();
    }
  }, [key]);

  return (
    <>
      <h1 ref={heading} tabIndex={-1} id="page-title">
        {title}
      </h1>
      {lead ? <p className="lead">{lead}</p> : null}
      {flash ? (
        <p className="notice notice-success" data-testid="flash">
          {flash}
        </p>
      ) : null}
      {children}
    </>
  );
}
