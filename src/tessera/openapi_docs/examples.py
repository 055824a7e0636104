"""An example request and answer for every operation of the OpenAPI document.

``install_openapi`` puts them on the operations; a test checks that every operation has them and
that each JSON example is valid for the operation's own models, so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tessera.openapi_docs import objects as o

PARAMETERS: Final[dict[str, Any]] = {
    "user_id": o.USER_ID,
    "holder_id": o.HOLDER_ID,
    "account_id": o.ACCOUNT_ID,
    "transfer_id": o.TRANSFER_ID,
    "card_id": o.CARD_ID,
    "registration_id": o.REGISTRATION_ID,
    "token": o.CARD_TOKEN,
    "import_id": o.IMPORT_ID,
    "certificate_id": o.CERTIFICATE_ID,
    "firm_id": o.FIRM_ID,
    "client_id": o.CLIENT_ID,
    "endpoint_id": o.ENDPOINT_ID,
    "event_id": o.EVENT_ID,
    "domain_id": o.DOMAIN["id"],
    "card_number": "4111111111111111",
    "limit": 50,
    "offset": 0,
    "from": "2026-11-01",
    "to": "2026-11-30",
    "phone": "+971 58 594 9014",
    "user_phone": "585949014",
    "owner_id": o.USER_ID,
    "action": "vault.card_revealed",
    "type": "transfer.completed",
    "Idempotency-Key": "deposit-2026-11-23-1",
    "accept": "application/json",
    "authorization": "Basic Y2xpXzAxSkQ1WEI2SDhKMEsyTTRONlA4UTBSMlM0OmNzXy4uLg==",
}
# Query parameters whose example depends on the operation (a status, a card id).
PARAMETERS_BY_OPERATION: Final[dict[tuple[str, str, str], Any]] = {
    ("get", "/v1/cards", "status"): "active",
    ("get", "/v1/cards", "account_id"): o.ACCOUNT_ID,
    ("get", "/v1/card-registrations", "status"): "pending",
    ("get", "/v1/certificates", "status"): "active",
    ("get", "/v1/webhook-endpoints/{endpoint_id}/deliveries", "status"): "dead",
    ("get", "/v1/card-status", "card_id"): "ZYW8827",
    ("get", "/get_card_status", "card_id"): "ZYW8827",
    ("get", "/v1/statements/{account_id}", "accept"): "text/csv",
    ("get", "/v1/card-registrations", "accept"): "text/csv",
    ("post", "/v1/card-registrations", "Idempotency-Key"): "reg-0001",
    ("post", "/v1/transfers", "Idempotency-Key"): "rent-2026-11",
}


@dataclass(frozen=True, slots=True)
class OperationExample:
    """An example request body (None for none) and the answer, by media type when not JSON."""

    response: Any = None
    request: Any = None
    responses: dict[str, Any] = field(default_factory=dict)  # media type -> example


SIGNUP = {
    "email": "ada@example.com",
    "password": "correct horse battery",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "dob": "1990-12-10",
    "phone": "0585949014",
    "firm": "acme",
}
CERT_REQUEST = {
    "common_name": "svc.example.com",
    "csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIHYMIGAAgEAMB4x...\n"
    "-----END CERTIFICATE REQUEST-----\n",
    "validity_days": 365,
    "labels": {"environment": "production", "service": "payments-gateway"},
}

EXAMPLES: Final[dict[tuple[str, str], OperationExample]] = {
    ("post", "/v1/auth/signup"): OperationExample(
        request=SIGNUP, response={"user": o.USER, "account_holder": o.HOLDER}
    ),
    ("post", "/v1/auth/login"): OperationExample(
        request={"email": "ada@example.com", "password": "correct horse battery"},
        response=o.TOKENS,
    ),
    ("post", "/v1/auth/refresh"): OperationExample(
        request={"refresh_token": o.TOKENS["refresh_token"]}, response=o.TOKENS
    ),
    ("post", "/v1/auth/refresh/sessions"): OperationExample(
        request={},
        response={
            "sessions": [
                {
                    "user_id": o.USER["id"],
                    "access_token": o.TOKENS["access_token"],
                    "token_type": "bearer",
                    "expires_in": o.TOKENS["expires_in"],
                }
            ],
            "ended": [],
        },
    ),
    ("delete", "/v1/auth/refresh/sessions/{user_id}"): OperationExample(),
    ("post", "/v1/auth/logout"): OperationExample(
        request={"refresh_token": o.TOKENS["refresh_token"]}
    ),
    ("get", "/v1/auth/me"): OperationExample(
        response={"user": o.USER, "role": "customer", "firm": o.FIRM_ID, "account_holder": o.HOLDER}
    ),
    ("delete", "/v1/users/{user_id}"): OperationExample(),
    ("get", "/v1/account-holders"): OperationExample(response=o.page(o.HOLDER)),
    ("get", "/v1/account-holders/{holder_id}"): OperationExample(response=o.HOLDER),
    ("post", "/v1/accounts"): OperationExample(
        request={"type": "checking", "currency": "USD"}, response={**o.ACCOUNT, "balance": 0}
    ),
    ("get", "/v1/accounts"): OperationExample(
        response=o.page(
            o.ACCOUNT, {**o.ACCOUNT, "id": o.SAVINGS_ID, "type": "savings", "balance": 2500}
        )
    ),
    ("get", "/v1/accounts/{account_id}"): OperationExample(response=o.ACCOUNT),
    ("patch", "/v1/accounts/{account_id}"): OperationExample(
        request={"status": "frozen"}, response={**o.ACCOUNT, "status": "frozen"}
    ),
    ("post", "/v1/transactions"): OperationExample(
        request={
            "account_id": o.ACCOUNT_ID,
            "type": "deposit",
            "amount": 10000,
            "currency": "USD",
            "description": "Salary",
        },
        response=o.TRANSACTION,
    ),
    ("get", "/v1/transactions"): OperationExample(response=o.page(o.TRANSACTION)),
    ("post", "/v1/transfers"): OperationExample(
        request={
            "from_account_id": o.ACCOUNT_ID,
            "to_account_id": o.SAVINGS_ID,
            "amount": 2500,
            "currency": "USD",
            "description": "Rent",
        },
        response=o.TRANSFER,
    ),
    ("get", "/v1/transfers/{transfer_id}"): OperationExample(response=o.TRANSFER),
    ("get", "/v1/statements/{account_id}"): OperationExample(
        response=o.STATEMENT, responses={"text/csv": o.STATEMENT_CSV}
    ),
    ("post", "/v1/cards"): OperationExample(
        request={"account_id": o.ACCOUNT_ID, "type": "physical", "cardholder_name": "Ada Lovelace"},
        response={**o.CARD, "delivery": None},
    ),
    ("get", "/v1/cards"): OperationExample(response=o.page(o.CARD)),
    ("get", "/v1/cards/{card_id}"): OperationExample(response=o.CARD),
    ("patch", "/v1/cards/{card_id}"): OperationExample(
        request={"status": "blocked"},
        response={**o.CARD, "status": "blocked", "updated_at": o.LATER},
    ),
    ("post", "/v1/card-registrations"): OperationExample(
        request={
            "card_number": "4111 1111 1111 1111",
            "expiry_date": "12/29",
            "cvv": "123",
            "cardholder_name": "Ada Lovelace",
            "external_ref": "crm-7731",
        },
        response=o.REGISTRATION,
    ),
    ("get", "/v1/card-registrations"): OperationExample(
        response=o.page(o.REGISTRATION), responses={"text/csv": o.REGISTRATIONS_CSV}
    ),
    ("get", "/v1/card-registrations/{registration_id}"): OperationExample(response=o.REGISTRATION),
    ("post", "/v1/card-registrations/{registration_id}/approve"): OperationExample(
        request={"reason": "Checked with the holder by phone."},
        response={**o.APPROVED, "reason": "Checked with the holder by phone."},
    ),
    ("post", "/v1/card-registrations/{registration_id}/reject"): OperationExample(
        request={"reason": "The holder did not ask for it."},
        response={
            **o.APPROVED,
            "status": "rejected",
            "reason": "The holder did not ask for it.",
        },
    ),
    ("get", "/v1/vault/cards/{token}"): OperationExample(
        response={
            **o.VAULT_CARD,
            "masked_number": "411111******1111",
            "source": "registration",
            "created_at": o.NOW,
        }
    ),
    ("post", "/v1/vault/cards/{token}/reveal"): OperationExample(
        response={"card_number": "4111111111111111"}
    ),
    ("post", "/v1/deliveries/imports"): OperationExample(
        request={"file": "(the CSV file)", "kind": "pickup"}, response=o.IMPORT
    ),
    ("get", "/v1/deliveries/imports"): OperationExample(response=o.page(o.IMPORT)),
    ("get", "/v1/deliveries/imports/{import_id}"): OperationExample(response=o.IMPORT),
    ("get", "/v1/deliveries/imports/{import_id}/errors"): OperationExample(
        response=o.page(*o.IMPORT_ERRORS)
    ),
    ("get", "/v1/deliveries/imports/{import_id}/warnings"): OperationExample(
        response=o.page(*o.IMPORT_WARNINGS)
    ),
    ("get", "/v1/card-status"): OperationExample(response=o.CARD_STATUS),
    ("post", "/v1/certificates"): OperationExample(
        request=CERT_REQUEST, response={**o.CERTIFICATE, "private_key_pem": None}
    ),
    ("get", "/v1/certificates"): OperationExample(response=o.page(o.CERTIFICATE)),
    ("get", "/v1/certificates/{certificate_id}"): OperationExample(response=o.CERTIFICATE),
    ("patch", "/v1/certificates/{certificate_id}"): OperationExample(
        request={"status": "revoked", "revocation_reason": "key_compromise"},
        response={
            **o.CERTIFICATE,
            "status": "revoked",
            "revocation_reason": "key_compromise",
            "revoked_at": o.LATER,
        },
    ),
    ("post", "/v1/certificates/{certificate_id}/renew"): OperationExample(
        request={"validity_days": 365},
        response={
            **o.CERTIFICATE_CREATED,
            "id": "crt_01JD5XE9M1N3P5Q7R9S1T3V5W7",
            "private_key_pem": None,
            "renewal_of": o.CERTIFICATE_ID,
        },
    ),
    ("get", "/v1/pki/ca.pem"): OperationExample(
        responses={
            "application/pem-certificate-chain": "-----BEGIN CERTIFICATE-----\n...intermediate..."
            "\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n...root...\n"
            "-----END CERTIFICATE-----\n"
        }
    ),
    ("get", "/v1/pki/crl.pem"): OperationExample(
        responses={
            "application/x-pem-file": "-----BEGIN X509 CRL-----\n...\n-----END X509 CRL-----\n"
        }
    ),
    ("get", "/v1/pki/firms/{firm_id}/ca.pem"): OperationExample(
        responses={
            "application/pem-certificate-chain": "-----BEGIN CERTIFICATE-----\n"
            "...the firm's intermediate...\n-----END CERTIFICATE-----\n"
        }
    ),
    ("post", "/v1/firms/{firm_id}/domains"): OperationExample(
        request={"domain": "acme-cards.example"}, response=o.DOMAIN
    ),
    ("get", "/v1/firms/{firm_id}/domains"): OperationExample(response=o.page(o.DOMAIN)),
    ("delete", "/v1/firms/{firm_id}/domains/{domain_id}"): OperationExample(),
    ("post", "/v1/firms"): OperationExample(
        request={
            "name": "Acme Cards",
            "slug": "acme",
            "auto_approve_registrations": False,
            "issuing_bin": "40001200",
            "issuing_bin_end": "40001299",
        },
        response=o.FIRM,
    ),
    ("get", "/v1/firms"): OperationExample(response=o.page(o.FIRM)),
    ("get", "/v1/firms/{firm_id}"): OperationExample(response=o.FIRM),
    ("patch", "/v1/firms/{firm_id}"): OperationExample(
        request={"auto_approve_registrations": True},
        response={**o.FIRM, "auto_approve_registrations": True},
    ),
    ("post", "/v1/firms/{firm_id}/staff"): OperationExample(
        request={
            "email": "ops@acme.example",
            "role": "firm_operator",
            "password": "a long password",
        },
        response=o.STAFF,
    ),
    ("get", "/v1/firms/{firm_id}/staff"): OperationExample(response=o.page(o.STAFF)),
    ("delete", "/v1/firms/{firm_id}/staff/{user_id}"): OperationExample(),
    ("post", "/v1/firms/{firm_id}/clients"): OperationExample(
        request={
            "name": "core banking",
            "scopes": ["cards:read", "cards:write", "deliveries:write"],
        },
        response={
            "client_id": o.CLIENT_ID,
            "client_secret": "cs_9Kp2Lq5Rs8Tv1Wx4Yz7Ab0Cd3Ef6Gh9Ij2Kl5Mn8Op1",
            "name": "core banking",
            "scopes": ["cards:read", "cards:write", "deliveries:write"],
            "created_at": o.NOW,
        },
    ),
    ("get", "/v1/firms/{firm_id}/clients"): OperationExample(response=o.page(o.CLIENT)),
    ("delete", "/v1/firms/{firm_id}/clients/{client_id}"): OperationExample(),
    ("post", "/v1/oauth/token"): OperationExample(
        request={
            "grant_type": "client_credentials",
            "client_id": o.CLIENT_ID,
            "client_secret": "cs_9Kp2Lq5Rs8Tv1Wx4Yz7Ab0Cd3Ef6Gh9Ij2Kl5Mn8Op1",
            "scope": "cards:read cards:write",
        },
        response={
            "access_token": o.TOKENS["access_token"],
            "token_type": "bearer",
            "expires_in": 900,
            "scope": "cards:read cards:write",
        },
    ),
    ("post", "/v1/webhook-endpoints"): OperationExample(
        request={
            "url": "https://hooks.acme.example/tessera",
            "events": ["card_registration.approved", "transfer.completed"],
            "description": "Core banking",
        },
        response=o.ENDPOINT_WITH_SECRET,
    ),
    ("get", "/v1/webhook-endpoints"): OperationExample(response=o.page(o.ENDPOINT)),
    ("get", "/v1/webhook-endpoints/{endpoint_id}"): OperationExample(response=o.ENDPOINT),
    ("delete", "/v1/webhook-endpoints/{endpoint_id}"): OperationExample(),
    ("post", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): OperationExample(
        request={"expire_previous_after_seconds": 86400}, response=o.ROTATED
    ),
    ("get", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): OperationExample(
        response=o.page(o.DELIVERY)
    ),
    ("get", "/v1/events"): OperationExample(response=o.page(o.EVENT)),
    ("get", "/v1/events/{event_id}"): OperationExample(response=o.EVENT),
    ("post", "/v1/events/{event_id}/redeliver"): OperationExample(
        request={"endpoint_id": o.ENDPOINT_ID},
        response={
            "event_id": o.EVENT_ID,
            "domain_id": o.DOMAIN["id"],
            "deliveries": [
                {
                    **o.DELIVERY,
                    "id": "whd_01JD5XF0N2P4Q6R8S0T2V4W6X8",
                    "trigger": "redelivery",
                    "attempt_count": 0,
                    "next_attempt_at": o.LATER,
                    "last_status_code": None,
                    "attempts": [],
                }
            ],
        },
    ),
    ("get", "/v1/audit-events"): OperationExample(response=o.page(o.AUDIT_EVENT)),
    ("get", "/v1/health"): OperationExample(
        response={"status": "ok", "database": "ok", "version": "0.1.0", "timestamp": o.NOW}
    ),
    ("post", "/api/v1/credit-card"): OperationExample(
        request={
            "exp_date": "2029-12-10",
            "holder_name": "Ada Lovelace",
            "card_number": "4111111111111111",
            "cvv": "123",
        },
        response={
            "message": "Credit card stored successfully",
            "id": o.REGISTRATION_ID,
            "card": o.CREDIT_CARD,
        },
    ),
    ("get", "/api/v1/credit-card"): OperationExample(response=o.page(o.CREDIT_CARD)),
    ("get", "/api/v1/credit-card/{card_number}"): OperationExample(response=o.CREDIT_CARD),
    ("post", "/register"): OperationExample(
        request={
            "card_number": "4111111111111111",
            "expiry_date": "12/29",
            "cvv": "123",
            "cardholder_name": "Ada Lovelace",
        },
        response={"registration_id": o.REGISTRATION_ID, "status": "pending"},
    ),
    ("get", "/status/{registration_id}"): OperationExample(
        response={"registration_id": o.REGISTRATION_ID, "status": "approved"}
    ),
    ("get", "/get_card_status"): OperationExample(
        response={
            "card_id": "ZYW8827",
            "user_phone": "+971585949014",
            "status": "Delivered",
            "last_updated": "2023-11-13T09:34:56Z",
        }
    ),
}
