// The rules for an email and a password that every form sending them checks before it does
// (the service checks again): signing up, and a firm admin creating a staff login.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Why ``email`` (already trimmed and not empty) is not an email address, if it is not. */
export function emailProblem(email: string): string | undefined {
  return EMAIL.test(email) ? undefined : "Enter an email address like name@example.com.";
}

/** Why ``password`` cannot be used, if it cannot. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN) {
    return `The password must have at least ${PASSWORD_MIN} characters.`;
  }
  if (password.length > PASSWORD_MAX) {
    return `The password must have at most ${PASSWORD_MAX} characters.`;
  }
  return undefined;
}
