"""Request and response bodies of the certificate and PKI routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from tessera.certificates.rules import (
    DEFAULT_NOTIFY_DAYS,
    DEFAULT_VALIDITY_DAYS,
    LABEL_KEY_PATTERN,
    MAX_LABEL_KEY_LENGTH,
    MAX_LABEL_VALUE_LENGTH,
    MAX_LABELS,
    MAX_NOTIFY_THRESHOLDS,
    MAX_VALIDITY_DAYS,
    normalise_thresholds,
)
from tessera.crypto.pki import (
    MAX_COMMON_NAME_LENGTH,
    MAX_CSR_PEM_BYTES,
    MAX_PASSPHRASE_BYTES,
    MAX_SUBJECT_ALT_NAMES,
    KeyAlgorithm,
    RevocationReason,
)
from tessera.kit.text import FreeText, PlainText, TextBlock
from tessera.models.certificate import CertificateStatus

ValidityDays = Annotated[
    int,
    Field(ge=1, le=MAX_VALIDITY_DAYS, description="Days the certificate is valid (1..825)."),
]
LabelKey = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_LABEL_KEY_LENGTH, pattern=LABEL_KEY_PATTERN)
]
LabelValue = Annotated[FreeText, StringConstraints(max_length=MAX_LABEL_VALUE_LENGTH)]
Labels = Annotated[
    dict[LabelKey, LabelValue],
    Field(
        max_length=MAX_LABELS,
        description=f"Free-form key/value pairs (at most {MAX_LABELS}); a PATCH replaces them all.",
        examples=[{"environment": "production", "service": "payments-gateway"}],
    ),
]
NotifyDays = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_VALIDITY_DAYS)]],
    Field(
        max_length=MAX_NOTIFY_THRESHOLDS,
        description="Days before expiry at which `certificate.expiring` is sent, once each "
        "(default 30, 7, 1; an empty list turns the notices off).",
        examples=[list(DEFAULT_NOTIFY_DAYS)],
    ),
    AfterValidator(normalise_thresholds),
]


class CertificateCreate(BaseModel):
    """Sign a CSR, or generate a key pair here and certify it."""

    model_config = ConfigDict(extra="forbid")

    common_name: PlainText = Field(
        min_length=1, max_length=MAX_COMMON_NAME_LENGTH, examples=["client.example.com"]
    )
    owner_id: PlainText | None = Field(
        default=None,
        max_length=40,
        description="A user of the firm (staff only; a customer always owns what they create, "
        "and staff own what they create unless they name someone).",
    )
    subject_alt_names: list[Annotated[PlainText, StringConstraints(max_length=255)]] = Field(
        default_factory=list,
        max_length=MAX_SUBJECT_ALT_NAMES,
        description="DNS names, IP addresses, email addresses or URIs. When empty and the common "
        "name is a hostname, the common name becomes the only DNS name.",
        examples=[["client.example.com", "10.0.0.7"]],
    )
    validity_days: ValidityDays = DEFAULT_VALIDITY_DAYS
    csr: TextBlock | None = Field(
        default=None,
        max_length=MAX_CSR_PEM_BYTES,
        description="A PEM certificate signing request. Only its public key is used: the "
        "subject and names come from this request. Leave out to have a key generated.",
    )
    key_algorithm: KeyAlgorithm | None = Field(
        default=None, description="The key to generate when no CSR is given (default ec-p256)."
    )
    key_passphrase: (
        Annotated[SecretStr, Field(min_length=1, max_length=MAX_PASSPHRASE_BYTES)] | None
    ) = Field(
        default=None,
        description="Encrypts the generated private key (PKCS#8, PBES2 with AES-256).",
    )
    labels: Labels | None = None
    notify_days_before_expiry: NotifyDays | None = None

    @model_validator(mode="after")
    def _one_key_source(self) -> Self:
        if self.csr is not None and self.key_algorithm is not None:
            raise ValueError("Give either `csr` or `key_algorithm`, not both.")
        if self.csr is not None and self.key_passphrase is not None:
            raise ValueError("`key_passphrase` applies only to a key generated here, not to a CSR.")
        return self


class CertificateUpdate(BaseModel):
    """A status change and/or new labels or expiry notice thresholds."""

    model_config = ConfigDict(extra="forbid")

    status: CertificateStatus | None = Field(
        default=None,
        description="`active` and `inactive` switch back and forth; `revoked` is final and "
        "puts the certificate on the CRL.",
    )
    revocation_reason: RevocationReason | None = Field(
        default=None,
        description="With `status: revoked`; an RFC 5280 reason (default `unspecified`).",
    )
    labels: Labels | None = None
    notify_days_before_expiry: NotifyDays | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.revocation_reason is not None and self.status is not CertificateStatus.REVOKED:
            raise ValueError("`revocation_reason` goes with `status: revoked`.")
        if self.status is None and self.labels is None and self.notify_days_before_expiry is None:
            raise ValueError(
                "Give at least one of `status`, `labels`, `notify_days_before_expiry`."
            )
        return self


class CertificateRenew(BaseModel):
    """How long the renewed certificate is valid."""

    model_config = ConfigDict(extra="forbid")

    validity_days: ValidityDays | None = Field(
        default=None, description="Default: the validity the original certificate asked for."
    )


class CertificateRead(BaseModel):
    """A certificate as the API shows it: never with a private key."""

    id: str
    owner_id: str | None
    serial_number: str = Field(description="Lowercase hex, as `openssl` prints it.")
    common_name: str
    subject_alt_names: list[str]
    not_before: datetime
    not_after: datetime
    status: CertificateStatus
    fingerprint_sha256: str = Field(description="SHA-256 of the DER certificate, lowercase hex.")
    certificate_pem: str
    chain_pem: str = Field(description="The issuing intermediate, then the root.")
    key_algorithm: str
    revocation_reason: RevocationReason | None
    revoked_at: datetime | None
    labels: dict[str, str]
    notify_days_before_expiry: list[int]
    renewal_of: str | None = Field(description="The certificate this one renewed, if any.")
    created_at: datetime


class CertificateCreated(CertificateRead):
    """A new certificate; ``private_key_pem`` is shown this once when the key was made here."""

    private_key_pem: str | None = Field(
        default=None,
        description="PKCS#8 PEM, encrypted when `key_passphrase` was given. Never stored: a "
        "replay of the request (same Idempotency-Key) answers without it.",
    )


class DomainCreate(BaseModel):
    """A DNS domain the firm declares as its own."""

    model_config = ConfigDict(extra="forbid")

    domain: PlainText = Field(
        min_length=1,
        max_length=253,
        description="Two labels or more, no wildcard; no other firm is certified for a name "
        "under it.",
        examples=["acme-cards.example"],
    )


class DomainRead(BaseModel):
    """A domain the firm declared."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    domain: str
    firm: str = Field(validation_alias="firm_id")
    created_at: datetime
