import { describe, expect, it } from "vitest";

import { certificateActions, pemFileStem, REVOCATION_REASONS, revocationReasonName } from "./status";

describe("certificateActions", () => {
  it("switches between active and inactive, and revokes from either", () => {
    expect(certificateActions("active").map((a) => a.verb)).toEqual(["Deactivate", "Revoke"]);
    expect(certificateActions("inactive").map((a) => a.verb)).toEqual(["Activate", "Revoke"]);
  });

  it("offers nothing once revoked: revocation is final", () => {
    expect(certificateActions("revoked")).toEqual([]);
  });
});

describe("revocation reasons", () => {
  it("offers each reason the API accepts once, the default first", () => {
    const values = REVOCATION_REASONS.map((r) => r.value);
    expect(values[0]).toBe("unspecified");
    expect(new Set(values).size).toBe(values.length);
    expect([...values].sort()).toEqual(
      [
        "aa_compromise",
        "affiliation_changed",
        "ca_compromise",
        "certificate_hold",
        "cessation_of_operation",
        "key_compromise",
        "privilege_withdrawn",
        "superseded",
        "unspecified",
      ].sort(),
    );
  });

  it("names a reason in words, and an unknown one as it is", () => {
    expect(revocationReasonName("key_compromise")).toBe("The private key was compromised");
    expect(revocationReasonName("future_reason")).toBe("future_reason");
    expect(revocationReasonName(null)).toBe("");
  });
});

describe("pemFileStem", () => {
  it("keeps a file name safe to save", () => {
    expect(pemFileStem("api.example.com")).toBe("api.example.com");
    expect(pemFileStem("*.example.com")).toBe("_.example.com");
    expect(pemFileStem("../etc/passwd")).toBe("_etc_passwd");
    expect(pemFileStem("")).toBe("certificate");
  });
});
