// Checks of the "grant a staff role" form before it is sent (the service checks again).

import type { StaffRole } from "../api/types";

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

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
  } else if (!EMAIL.test(email)) {
    problems.email = "Enter an email address like name@example.com.";
  }
  if (values.role === "") {
    problems.role = "Choose the role to grant.";
  }
  if (values.password !== "") {
    if (values.password.length < PASSWORD_MIN) {
      problems.password = `The password must have at least ${PASSWORD_MIN} characters.`;
    } else if (values.password.length > PASSWORD_MAX) {
      problems.password = `The password must have at most ${PASSWORD_MAX} characters.`;
    }
  }
  return problems;
}
