"""The errors Tessera answers with, and the one place they become HTTP responses.

Every error a client can see is a ``TesseraError`` with a stable snake_case ``code`` and an HTTP
``status``. Services raise them; they know nothing of HTTP beyond the status number they carry.
``tessera.app`` installs the handler that renders the envelope::

    {"error": {"code": "...", "message": "...", "details": {...}}, "request_id": "..."}

The tree::

    TesseraError
    ├── MalformedRequest          400 malformed_request
    ├── Unauthorized              401 unauthorized
    │   ├── InvalidCredentials    401 invalid_credentials
    │   └── TokenExpired          401 token_expired
    ├── Forbidden                 403 forbidden
    ├── NotFound                  404 not_found
    ├── Conflict                  409 (code given by the subclass or the caller)
    │   ├── InvalidStatusTransition  409 invalid_status_transition
    │   └── InsufficientFunds        409 insufficient_funds
    ├── PayloadTooLarge           413 payload_too_large
    ├── UnsupportedMediaType      415 unsupported_media_type
    ├── ValidationFailed          422 validation_error (details.fields); card_number_in_text
    ├── RuleViolation             422 (a rule code that needs only the request)
    ├── RateLimited               429 rate_limited (Retry-After)
    └── Unavailable               503 unavailable (Retry-After)
        └── Overloaded            503 overloaded (Retry-After): shed before any work was done

Messages are written for the person reading them and never contain the input that caused them:
an echoed card number would be a leak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class TesseraError(Exception):
    """An error with a stable code and status that the API shows to its client."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Something went wrong on our side."
    # True when what the service recorded before raising must still be committed: a refresh
    # token reuse revokes the family, a failed login is audited.
    commit: ClassVar[bool] = False

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status})"


class MalformedRequest(TesseraError):
    status = 400
    default_code = "malformed_request"
    default_message = "The request body could not be read."


class Unauthorized(TesseraError):
    status = 401
    default_code = "unauthorized"
    default_message = "Authentication is required."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class InvalidCredentials(Unauthorized):
    default_code = "invalid_credentials"
    default_message = "The email or password is not correct."


class TokenExpired(Unauthorized):
    default_code = "token_expired"
    default_message = "The access token has expired; refresh it and try again."


class Forbidden(TesseraError):
    status = 403
    default_code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(TesseraError):
    status = 404
    default_code = "not_found"
    default_message = "Not found."


class Conflict(TesseraError):
    status = 409
    default_code = "conflict"
    default_message = "The request conflicts with the current state."


class InvalidStatusTransition(Conflict):
    default_code = "invalid_status_transition"

    def __init__(self, *, current: str, requested: str) -> None:
        super().__init__(
            f"Cannot change status from {current} to {requested}.",
            details={"current": current, "requested": requested},
        )


class InsufficientFunds(Conflict):
    default_code = "insufficient_funds"
    default_message = "The account balance is too low for this amount."


class PayloadTooLarge(TesseraError):
    status = 413
    default_code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(TesseraError):
    status = 415
    default_code = "unsupported_media_type"
    default_message = "The request body has a content type this endpoint does not accept."


class FieldError(dict[str, str]):
    """One ``{field, message, rule}`` entry of a validation error.

    ``field`` is the dotted path of the field, ``message`` a sentence for a person that never
    quotes the value given, ``rule`` a stable snake_case name of the rule it broke.
    """

    def __init__(self, field: str, message: str, rule: str = "invalid") -> None:
        super().__init__(field=field, message=message, rule=rule)


class ValidationFailed(TesseraError):
    status = 422
    default_code = "validation_error"
    default_message = "The request is not valid."

    def __init__(
        self,
        fields: Sequence[Mapping[str, str]],
        message: str | None = None,
        *,
        code: str | None = None,
    ) -> None:
        super().__init__(
            message,
            code=code,
            details={"fields": [{"rule": "invalid", **dict(f)} for f in fields]},
        )

    @classmethod
    def single(cls, field: str, message: str, *, rule: str = "invalid") -> ValidationFailed:
        """A validation error about one field."""
        return cls([FieldError(field, message, rule)], message=message)


class RuleViolation(TesseraError):
    """A domain rule that the request alone breaks (``same_account``, ``card_expired``...)."""

    status = 422
    default_code = "rule_violation"


class RateLimited(TesseraError):
    status = 429
    default_code = "rate_limited"
    default_message = "Too many attempts; wait before trying again."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        retry_after = max(1, int(retry_after_seconds))
        super().__init__(
            message,
            details={"retry_after_seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class Unavailable(TesseraError):
    """503: the client should come back; ``Retry-After`` says when (never a 500, never a hang)."""

    status = 503
    default_code = "unavailable"
    default_message = "The service is temporarily unavailable."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: int = 1,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message,
            code=code,
            details={**dict(details or {}), "retry_after_seconds": max(1, retry_after)},
            headers={"Retry-After": str(max(1, retry_after))},
        )


class Overloaded(Unavailable):
    """The service was saturated and did not start the request: nothing was changed."""

    default_code = "overloaded"
    default_message = "The service is busy; nothing was changed. Retry shortly."
