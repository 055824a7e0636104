"""Every error code the API answers with, and which operation can answer which.

``CATALOG`` names each code once, with its status and when it happens; codes that belong to a
``TesseraError`` class are read from the class, so the two cannot disagree. ``OPERATION_ERRORS``
lists, for each operation, the codes of its own rules; ``errors_for`` adds the ones every
operation can answer (authentication, validation, rate limits, overload), those of a request
body, of an ``Idempotency-Key`` and of an id in the path.

To add an error: raise it from the service, add it to ``CATALOG`` (a class with ``_of``, a code
given at the raise with ``_code``) and to the operations that can answer it. A test fails until
all three agree: it finds every code in the source and every operation in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from tessera.accounts.service import AccountsNotClosed
from tessera.auth.cookies import CrossSiteRequest
from tessera.certificates.authority import CaKeyUnavailable, PkiNotInitialised
from tessera.certificates.names import IpSanNotAllowed, NameOwnedByAnotherFirm
from tessera.certificates.service import CertificateRevoked
from tessera.clients.service import InvalidClient, OAuthError
from tessera.deliveries.imports.file_errors import (
    EmptyDeliveryFile,
    UndeterminedFileKind,
    UnreadableDeliveryFile,
    UnrecognisedFileHeader,
)
from tessera.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    InvalidCredentials,
    InvalidStatusTransition,
    MalformedRequest,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    RateLimited,
    RuleViolation,
    TesseraError,
    TokenExpired,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from tessera.firms.service import SlugTaken
from tessera.ledger.service import AccountInactive
from tessera.registrations.service import CardAlreadyRegistered
from tessera.webhooks.rules import InvalidIpLiteral
from tessera.webhooks.service import EndpointLimitReached, NoMatchingEndpoint


@dataclass(frozen=True, slots=True)
class ErrorDoc:
    """One error code: its HTTP status and when it is answered."""

    status: int
    code: str
    meaning: str


def _of(error: type[TesseraError], meaning: str) -> ErrorDoc:
    return ErrorDoc(error.status, error.default_code, meaning)


def _code(status: int, code: str, meaning: str) -> ErrorDoc:
    return ErrorDoc(status, code, meaning)


_ALL: Final = (
    _of(MalformedRequest, "The body is not valid JSON (or not valid multipart)."),
    _of(OAuthError, "The token request lacks a parameter or sends the client twice."),
    _code(400, "unsupported_grant_type", "Only `client_credentials` is supported."),
    _code(400, "invalid_scope", "A requested scope is unknown or beyond the client's."),
    _of(Unauthorized, "No access token, or one that is not valid (also an unknown refresh token)."),
    _of(TokenExpired, "The access token has expired: refresh it."),
    _of(InvalidCredentials, "Wrong email or password (the same answer for an unknown email)."),
    _of(InvalidClient, "The client id or secret is wrong, or the client is disabled."),
    _of(Forbidden, "Authenticated, but the role or the token's scopes do not allow it."),
    _of(
        CrossSiteRequest,
        "A refresh-cookie request without `X-Tessera-Session: cookie` from this site.",
    ),
    _of(NotFound, "No such object, or one of another firm (never revealed to exist)."),
    _of(Conflict, "The request conflicts with the current state."),
    _code(409, "email_taken", "An account with this email exists already."),
    _of(SlugTaken, "Another firm has this slug."),
    _of(InsufficientFunds, "The balance is too low for the amount."),
    _of(AccountInactive, "The account is frozen or closed."),
    _of(AccountsNotClosed, "The user still has an open account with money on it."),
    _of(CardAlreadyRegistered, "The firm has this card already (`details.registration_id`)."),
    _of(InvalidStatusTransition, "The object cannot go to that status from its current one."),
    _of(CertificateRevoked, "A revoked certificate cannot be renewed."),
    _of(NameOwnedByAnotherFirm, "The DNS name is certified to, or declared by, another firm."),
    _of(EndpointLimitReached, "The firm has as many webhook endpoints as it may."),
    _of(NoMatchingEndpoint, "No endpoint of the firm receives this event's type."),
    _code(409, "idempotency_key_reused", "This Idempotency-Key came with another request."),
    _code(409, "idempotency_key_in_use", "A request with this Idempotency-Key is still running."),
    _of(PayloadTooLarge, "The body is larger than the limit (MAX_BODY_BYTES, MAX_UPLOAD_BYTES)."),
    _of(UnsupportedMediaType, "The body is not of a media type this operation accepts."),
    _of(ValidationFailed, "A field is not valid (`details.fields` names each)."),
    _code(
        422,
        "card_number_in_text",
        "A free-text field holds a card number (`details.fields` names it).",
    ),
    _of(RuleViolation, "A rule that the request alone breaks."),
    _of(
        InvalidIpLiteral,
        "The URL's host is an IP address in another form than a.b.c.d (0177.0.0.1).",
    ),
    _code(422, "same_account", "The source and the destination are the same account."),
    _code(422, "currency_mismatch", "The account holds another currency."),
    _code(422, "invalid_card_number", "Not a card number (Luhn check, length for the brand)."),
    _code(422, "card_expired", "The card's expiry is in the past."),
    _code(422, "invalid_cvv", "The CVV has the wrong length (3 digits, 4 for Amex)."),
    _code(422, "invalid_csr", "The CSR is not a PEM-encoded certificate signing request."),
    _code(422, "csr_signature_invalid", "The CSR is not signed by its own key."),
    _code(422, "csr_requests_ca", "The CSR asks for a CA certificate."),
    _code(422, "weak_key", "The key is too weak (RSA under 2048 bits, other curves)."),
    _of(IpSanNotAllowed, "IP address names need the firm's `allow_ip_sans` (a platform admin's)."),
    _of(UnrecognisedFileHeader, "The header lacks a column (`details` names the expected)."),
    _of(UndeterminedFileKind, "Neither the form, the file name nor the header gives the kind."),
    _of(EmptyDeliveryFile, "The file is empty."),
    _of(UnreadableDeliveryFile, "The file is not UTF-8 CSV text."),
    _of(RateLimited, "Too many attempts: wait `Retry-After` seconds."),
    _of(TesseraError, "Something went wrong on our side: quote the `request_id`."),
    _of(Unavailable, "A dependency (the database) is not answering: retry after `Retry-After`."),
    _of(Overloaded, "The service is saturated and did not start the request: nothing changed."),
    _of(PkiNotInitialised, "The certificate authority does not exist yet."),
    _code(503, "issuing_ca_expired", "The issuing intermediate has expired: rotate it."),
    _of(CaKeyUnavailable, "The CA's key does not open with this deployment's master key."),
)
CATALOG: Final[dict[str, ErrorDoc]] = {doc.code: doc for doc in _ALL}

# Every operation may answer these (declared so that a client, or schemathesis, meets no
# undeclared status): no or a bad token, the role or scopes, a bad parameter, a rate limit,
# an overloaded service, and a failure of ours.
EVERY_OPERATION: Final = (
    "unauthorized",
    "forbidden",
    "validation_error",
    "rate_limited",
    "unavailable",
    "overloaded",
    "internal_error",
)
AUTHENTICATED: Final = ("token_expired", "not_found")
WITH_BODY: Final = (
    "malformed_request",
    "payload_too_large",
    "unsupported_media_type",
    "card_number_in_text",
)
WITH_IDEMPOTENCY_KEY: Final = ("idempotency_key_reused", "idempotency_key_in_use")
WITH_PATH_ID: Final = ("not_found",)
PUBLIC_OPERATIONS: Final = {
    ("post", "/v1/auth/signup"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/refresh"),
    ("post", "/v1/auth/refresh/sessions"),
    ("delete", "/v1/auth/refresh/sessions/{user_id}"),
    ("post", "/v1/oauth/token"),
    ("get", "/v1/health"),
    ("get", "/v1/pki/ca.pem"),
    ("get", "/v1/pki/crl.pem"),
    ("get", "/v1/pki/firms/{firm_id}/ca.pem"),
}

_CARD_CHECKS: Final = (
    "invalid_card_number",
    "card_expired",
    "invalid_cvv",
    "card_already_registered",
)
_ISSUING: Final = ("pki_not_initialised", "issuing_ca_expired", "ca_key_unavailable")
_CSR: Final = ("invalid_csr", "csr_signature_invalid", "csr_requests_ca", "weak_key")
_FILE: Final = ("unrecognised_header", "undetermined_kind", "empty_file", "unreadable_file")

# The codes of each operation's own rules, beyond what ``errors_for`` adds for all.
OPERATION_ERRORS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("post", "/v1/auth/signup"): ("email_taken",),
    ("post", "/v1/auth/login"): ("invalid_credentials", "csrf_rejected"),
    ("post", "/v1/auth/refresh"): (),
    ("post", "/v1/auth/refresh/sessions"): ("csrf_rejected",),
    ("delete", "/v1/auth/refresh/sessions/{user_id}"): ("csrf_rejected",),
    ("post", "/v1/auth/logout"): (),
    ("get", "/v1/auth/me"): (),
    ("delete", "/v1/users/{user_id}"): ("accounts_not_closed",),
    ("get", "/v1/account-holders"): (),
    ("get", "/v1/account-holders/{holder_id}"): (),
    ("post", "/v1/accounts"): (),
    ("get", "/v1/accounts"): (),
    ("get", "/v1/accounts/{account_id}"): (),
    ("patch", "/v1/accounts/{account_id}"): ("invalid_status_transition",),
    ("post", "/v1/transactions"): ("insufficient_funds", "account_inactive", "currency_mismatch"),
    ("get", "/v1/transactions"): (),
    ("post", "/v1/transfers"): (
        "insufficient_funds",
        "account_inactive",
        "currency_mismatch",
        "same_account",
    ),
    ("get", "/v1/transfers/{transfer_id}"): (),
    ("get", "/v1/statements/{account_id}"): (),
    ("post", "/v1/cards"): ("account_inactive",),
    ("get", "/v1/cards"): (),
    ("get", "/v1/cards/{card_id}"): (),
    ("patch", "/v1/cards/{card_id}"): ("invalid_status_transition",),
    ("post", "/v1/card-registrations"): _CARD_CHECKS,
    ("get", "/v1/card-registrations"): (),
    ("get", "/v1/card-registrations/{registration_id}"): (),
    ("post", "/v1/card-registrations/{registration_id}/approve"): ("invalid_status_transition",),
    ("post", "/v1/card-registrations/{registration_id}/reject"): ("invalid_status_transition",),
    ("get", "/v1/vault/cards/{token}"): (),
    ("post", "/v1/vault/cards/{token}/reveal"): (),
    ("post", "/v1/deliveries/imports"): _FILE,
    ("get", "/v1/deliveries/imports"): (),
    ("get", "/v1/deliveries/imports/{import_id}"): (),
    ("get", "/v1/deliveries/imports/{import_id}/errors"): (),
    ("get", "/v1/deliveries/imports/{import_id}/warnings"): (),
    ("get", "/v1/card-status"): (),
    ("post", "/v1/certificates"): (
        *_CSR,
        "ip_san_not_allowed",
        "name_owned_by_another_firm",
        *_ISSUING,
    ),
    ("get", "/v1/certificates"): (),
    ("get", "/v1/certificates/{certificate_id}"): (),
    ("patch", "/v1/certificates/{certificate_id}"): ("invalid_status_transition",),
    ("post", "/v1/certificates/{certificate_id}/renew"): (
        "certificate_revoked",
        "name_owned_by_another_firm",
        "ip_san_not_allowed",
        *_ISSUING,
    ),
    ("get", "/v1/pki/ca.pem"): ("pki_not_initialised",),
    ("get", "/v1/pki/crl.pem"): ("pki_not_initialised", "ca_key_unavailable"),
    ("get", "/v1/pki/firms/{firm_id}/ca.pem"): (),
    ("post", "/v1/firms/{firm_id}/domains"): ("name_owned_by_another_firm",),
    ("get", "/v1/firms/{firm_id}/domains"): (),
    ("delete", "/v1/firms/{firm_id}/domains/{domain_id}"): (),
    ("post", "/v1/firms"): ("slug_taken",),
    ("get", "/v1/firms"): (),
    ("get", "/v1/firms/{firm_id}"): (),
    ("patch", "/v1/firms/{firm_id}"): (),
    ("post", "/v1/firms/{firm_id}/staff"): ("email_taken",),
    ("get", "/v1/firms/{firm_id}/staff"): (),
    ("delete", "/v1/firms/{firm_id}/staff/{user_id}"): (),
    ("post", "/v1/firms/{firm_id}/clients"): (),
    ("get", "/v1/firms/{firm_id}/clients"): (),
    ("delete", "/v1/firms/{firm_id}/clients/{client_id}"): (),
    ("post", "/v1/oauth/token"): (
        "invalid_request",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_client",
    ),
    ("post", "/v1/webhook-endpoints"): ("endpoint_limit_reached", "invalid_ip_literal"),
    ("get", "/v1/webhook-endpoints"): (),
    ("get", "/v1/webhook-endpoints/{endpoint_id}"): (),
    ("delete", "/v1/webhook-endpoints/{endpoint_id}"): (),
    ("post", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): (),
    ("get", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): (),
    ("get", "/v1/events"): (),
    ("get", "/v1/events/{event_id}"): (),
    ("post", "/v1/events/{event_id}/redeliver"): ("no_matching_endpoint",),
    ("get", "/v1/audit-events"): (),
    ("get", "/v1/health"): (),
    ("post", "/api/v1/credit-card"): _CARD_CHECKS,
    ("get", "/api/v1/credit-card"): (),
    ("get", "/api/v1/credit-card/{card_number}"): (),
    ("post", "/register"): _CARD_CHECKS,
    ("get", "/status/{registration_id}"): (),
    ("get", "/get_card_status"): (),
}


def errors_for(
    method: str, path: str, *, has_body: bool, idempotent: bool
) -> dict[int, list[ErrorDoc]]:
    """The error answers of one operation, by status, each status's codes in catalogue order."""
    codes: list[str] = [*EVERY_OPERATION]
    if (method, path) not in PUBLIC_OPERATIONS:
        codes += AUTHENTICATED
    if has_body:
        codes += WITH_BODY
    if idempotent:
        codes += WITH_IDEMPOTENCY_KEY
    if "{" in path:
        codes += WITH_PATH_ID
    codes += OPERATION_ERRORS.get((method, path), ())
    return _by_status(dict.fromkeys(codes))


def _by_status(codes: Iterable[str]) -> dict[int, list[ErrorDoc]]:
    wanted = set(codes)
    unknown = wanted - CATALOG.keys()
    if unknown:
        raise KeyError(f"error codes missing from CATALOG: {sorted(unknown)}")
    grouped: dict[int, list[ErrorDoc]] = {}
    for doc in _ALL:
        if doc.code in wanted:
            grouped.setdefault(doc.status, []).append(doc)
    return dict(sorted(grouped.items()))
