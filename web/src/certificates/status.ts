// Certificate status changes, as the service allows them: active <-> inactive, and revoked
// (with an RFC 5280 reason) from either, which is final.

import type { CertificateStatus, RevocationReason } from "../api/types";

export interface CertificateAction {
  status: CertificateStatus;
  verb: string;
}

export function certificateActions(status: CertificateStatus): CertificateAction[] {
  switch (status) {
    case "active":
      return [
        { status: "inactive", verb: "Deactivate" },
        { status: "revoked", verb: "Revoke" },
      ];
    case "inactive":
      return [
        { status: "active", verb: "Activate" },
        { status: "revoked", verb: "Revoke" },
      ];
    case "revoked":
      return [];
  }
}

/** The reasons a person may pick, in the order they are most likely (RFC 5280 names). */
export const REVOCATION_REASONS: readonly { value: RevocationReason; label: string }[] = [
  { value: "unspecified", label: "No particular reason" },
  { value: "key_compromise", label: "The private key was compromised" },
  { value: "superseded", label: "Replaced by a new certificate" },
  { value: "cessation_of_operation", label: "The service no longer runs" },
  { value: "affiliation_changed", label: "The owner's affiliation changed" },
  { value: "privilege_withdrawn", label: "The privilege was withdrawn" },
  { value: "ca_compromise", label: "The certificate authority was compromised" },
  { value: "certificate_hold", label: "On hold" },
  { value: "aa_compromise", label: "The attribute authority was compromised" },
];

export function revocationReasonName(reason: string | null | undefined): string {
  return REVOCATION_REASONS.find((r) => r.value === reason)?.label ?? reason ?? "";
}

/** A file name for a certificate's downloads, from its common name. */
export function pemFileStem(commonName: string): string {
  const stem = commonName.replace(/[^A-Za-z0-9.-]/g, "_").replace(/^\.+/, "");
  return stem || "certificate";
}
