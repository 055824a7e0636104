// Checks of the "grant a staff role" form before it is sent (the service checks again).

import type { StaffRole } from "../api/types";
import { emailProblem, passwordProblem } from "../session/credentials";

export const STAFF_ROLE_NAMES: Readonly<Record<StaffRole, string>> = {
  firm_operator: "Firm operator",
  firm_admin: "Firm admin",
};

export interface GrantValues {
  email: string;
  role: StaffRole | "";
  password: string;
}

export type GrantProblems = Partial<Record<keyof GrantValues, string>>;

export function checkGrant(values: GrantValues): GrantProblems {
  const problems: GrantProblems = {};
  const email = values.email.trim();
  if (!email) {
    problems.email = "Enter the person's email address.";
  } else {
    problems.email = emailProblem(email);
  }
  if (values.role === "") {
    problems.role = "Choose the role to grant.";
  }
  if (values.password !== "") {
    problems.password = passwordProblem(values.password);
  }
  return problems;
}
