import { describe, expect, it } from "vitest";

import { checkGrant } from "./grant";

describe("checkGrant", () => {
  it("accepts an email and a role, with or without a password", () => {
    expect(checkGrant({ email: " ops@example.com ", role: "firm_operator", password: "" })).toEqual({});
    expect(checkGrant({ email: "ops@example.com", role: "firm_admin", password: "long enough" })).toEqual({});
  });

  it("says what is missing or wrong", () => {
    expect(checkGrant({ email: "", role: "", password: "" })).toEqual({
      email: "Enter the person's email address.",
      role: "Choose the role to grant.",
    });
    expect(checkGrant({ email: "not-an-email", role: "firm_operator", password: "short" })).toEqual({
      email: "Enter an email address like name@example.com.",
      password: "The password must have at least 8 characters.",
    });
    expect(checkGrant({ email: "a@b.co", role: "firm_operator", password: "x".repeat(129) })).toEqual({
      password: "The password must have at most 128 characters.",
    });
  });
});
