import type { ReactNode } from "react";

interface NoticeProps {
  kind: "success" | "error" | "info" | "warning";
  children: ReactNode;
  /** Announce politely (status) or assertively (alert); the default suits the kind. */
  live?: "status" | "alert" | "none";
  id?: string;
}

/** A boxed message. Errors are alerts; everything else is a polite status. */
export function Notice({ kind, children, live, id }: NoticeProps) {
  const role = live ?? (kind === "error" ? "alert" : "status");
  return (
    <div id={id} className={`notice notice-${kind}`} role={role === "none" ? undefined : role}>
      {children}
    </div>
  );
}
