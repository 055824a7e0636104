// How account holders are named on screen. An erased holder (the user was deleted) keeps its
// id and ledger rows but no longer has a name.

import type { AccountHolder } from "../api/types";

export function holderName(holder: Pick<AccountHolder, "first_name" | "last_name">): string {
  const name = [holder.first_name, holder.last_name].filter(Boolean).join(" ");
  return name || "Erased account holder";
}
