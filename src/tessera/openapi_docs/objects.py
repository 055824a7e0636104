"""Example objects of the OpenAPI document: one story of ids, times and amounts.

Ada's checking account receives 100.00 USD and moves 25.00 to savings; her card is registered,
approved and delivered; the firm, Acme Cards, hears about it through a webhook.
"""

from __future__ import annotations

from typing import Any, Final

NOW: Final = "2026-11-23T08:46:33Z"
LATER: Final = "2026-11-23T08:47:02Z"
FIRM_ID: Final = "firm_01JD5X0000ACME00000000000"
USER_ID: Final = "usr_01JD5X3K8Q9W2N4M6R7T8V0Y1Z"
STAFF_ID: Final = "usr_01JD5X2B7P1K9W3N5M7Q8R0S2T"
HOLDER_ID: Final = "ah_01JD5X3K8RB2C4D6E8F0G2H4J6"
ACCOUNT_ID: Final = "acc_01JD5X4M2N4P6Q8R0S2T4V6W8X"
SAVINGS_ID: Final = "acc_01JD5X4P9Q1R3S5T7V9W1X3Y5Z"
CARD_TOKEN: Final = "tok_h4aghielppy4sua4p2d27byw26gkkl3o"
REGISTRATION_ID: Final = "creg_01JD5X6A1B3C5D7E9F1G3H5J7K"
IMPORT_ID: Final = "dim_01JD5X7C2D4E6F8G0H2J4K6M8N"
CERTIFICATE_ID: Final = "crt_01JD5X8D3E5F7G9H1J3K5M7N9P"
ENDPOINT_ID: Final = "whe_01JD5X9E4F6G8H0J2K4M6N8P0Q"
EVENT_ID: Final = "evt_01JD5XA5G7H9J1K3M5N7P9Q1R3"
CLIENT_ID: Final = "cli_01JD5XB6H8J0K2M4N6P8Q0R2S4"
TRANSFER_ID: Final = "tr_01JD5X5P3Q5R7S9T1V3W5X7Y9Z"
CARD_ID: Final = "card_01JD5X5Q4R6S8T0V2W4X6Y8Z0A"

USER: Final = {
    "id": USER_ID,
    "email": "ada@example.com",
    "role": "customer",
    "firm": FIRM_ID,
    "created_at": NOW,
}
HOLDER: Final = {
    "id": HOLDER_ID,
    "user_id": USER_ID,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "dob": "1990-12-10",
    "phone": "+971585949014",
    "created_at": NOW,
}
TOKENS: Final = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfMDFKRDVYM0s4In0.c2ln",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "rt_Vw8xQ2mK5tR9yB3nC6vD1fG4hJ7kL0pS2uX5zA8bE1g",
}
ACCOUNT: Final = {
    "id": ACCOUNT_ID,
    "holder_id": HOLDER_ID,
    "type": "checking",
    "currency": "USD",
    "balance": 7500,
    "status": "active",
    "created_at": NOW,
}
TRANSACTION: Final = {
    "id": "txn_01JD5X5A1B3C5D7E9F1G3H5J7K",
    "account_id": ACCOUNT_ID,
    "type": "deposit",
    "amount": 10000,
    "currency": "USD",
    "balance_after": 10000,
    "description": "Salary",
    "created_at": NOW,
}
TRANSFER: Final = {
    "id": TRANSFER_ID,
    "from_account_id": ACCOUNT_ID,
    "to_account_id": SAVINGS_ID,
    "amount": 2500,
    "currency": "USD",
    "description": "Rent",
    "created_at": LATER,
    "debit_transaction_id": "txn_01JD5X5B2C4D6E8F0G2H4J6K8M",
    "credit_transaction_id": "txn_01JD5X5C3D5E7F9G1H3J5K7M9N",
}
STATEMENT: Final = {
    "account_id": ACCOUNT_ID,
    "currency": "USD",
    "balance": 7500,
    "generated_at": "2026-11-30T18:00:00Z",
    "from": "2026-11-01",
    "to": "2026-11-30",
    "opening_balance": 0,
    "closing_balance": 7500,
    "total_credits": 10000,
    "total_debits": 2500,
    "transactions": [
        {k: v for k, v in TRANSACTION.items() if k != "account_id"},
        {
            "id": TRANSFER["debit_transaction_id"],
            "type": "transfer_out",
            "amount": 2500,
            "currency": "USD",
            "balance_after": 7500,
            "description": "Rent",
            "created_at": LATER,
        },
    ],
}
STATEMENT_CSV: Final = (
    '"id","created_at","type","amount","amount_decimal","currency","balance_after",'
    '"description","counterparty_account_id"\r\n'
    '"txn_01JD5X5A1B3C5D7E9F1G3H5J7K","2026-11-23T08:46:33Z","deposit","10000","100.00","USD",'
    '"10000","Salary",""\r\n'
    '"txn_01JD5X5B2C4D6E8F0G2H4J6K8M","2026-11-23T08:47:02Z","transfer_out","2500","25.00",'
    '"USD","7500","Rent","acc_01JD5X4N3P5Q7R9S1T3V5W7X9Y"\r\n'
)
CARD: Final = {
    "id": CARD_ID,
    "account_id": ACCOUNT_ID,
    "holder_id": HOLDER_ID,
    "type": "physical",
    "brand": "visa",
    "last4": "4242",
    "expiry": "2029-11-30",
    "status": "active",
    "reference": "TSRWVW7PFZ2G9",
    "cardholder_name": "Ada Lovelace",
    "token": "tok_k2dmq4tq7iuxwztm5n4bfk3dyq2y2fa6",
    "created_at": NOW,
    "updated_at": NOW,
    "delivery": {
        "status": "delivered",
        "status_at": "2026-11-25T09:34:56Z",
        "delivery_attempts": 1,
    },
}
VAULT_CARD: Final = {
    "token": CARD_TOKEN,
    "brand": "visa",
    "bin": "411111",
    "last4": "1111",
    "expiry": "2029-12-31",
    "cardholder_name": "Ada Lovelace",
}
REGISTRATION: Final = {
    "id": REGISTRATION_ID,
    "status": "pending",
    "reason": None,
    "decided_at": None,
    "holder_id": HOLDER_ID,
    "external_ref": "crm-7731",
    "card": VAULT_CARD,
    "created_at": NOW,
}
APPROVED: Final = {**REGISTRATION, "status": "approved", "decided_at": LATER}
REGISTRATIONS_CSV: Final = (
    '"id","status","brand","masked_number","expiry","cardholder_name","holder_id",'
    '"external_ref","reason","created_at","decided_at"\r\n'
    f'"{REGISTRATION_ID}","pending","visa","411111******1111","2029-12-31","Ada Lovelace",'
    f'"{HOLDER_ID}","crm-7731","","2026-11-23T08:46:33Z",""\r\n'
)
IMPORT_ERRORS: Final[list[dict[str, Any]]] = [
    {
        "row": 3,
        "message": "The phone number was turned into scientific notation (like 9.7E+11) by "
        "a spreadsheet and has lost digits; export the column as text.",
    }
]
IMPORT_WARNINGS: Final[list[dict[str, Any]]] = [
    {
        "row": 2,
        "message": "The phone number is not a valid number, neither in region AE nor with a "
        "country code. The event was imported with the phone as written.",
    }
]
IMPORT: Final = {
    "id": IMPORT_ID,
    "kind": "pickup",
    "status": "completed",
    "partner": None,
    "source": "api",
    "file_name": "Sample Card Status Info - Pickup.csv",
    "file_hash": "9f2c4b7e1d3a5c8f0b2d4e6a8c0e2f4a6b8d0f2a4c6e8a0b2d4f6a8c0e2b4d6f",
    "file_size": 160,
    "phone_region": "AE",
    "timezone": "Asia/Dubai",
    "rows_total": 3,
    "rows_imported": 2,
    "rows_duplicate": 0,
    "rows_rejected": 1,
    "rows_warned": 1,
    "errors": IMPORT_ERRORS,
    "warnings": IMPORT_WARNINGS,
    "failure": None,
    "duplicate_of": None,
    "created_at": NOW,
    "completed_at": NOW,
}
CARD_STATUS: Final = {
    "card_id": "ZYW8827",
    "phone": "+971585949014",
    "status": "delivered",
    "status_at": "2023-11-13T09:34:56Z",
    "delivery_attempts": 0,
    "history": [
        {
            "event": "picked_up",
            "at": "2023-11-12T19:59:00Z",
            "comment": None,
            "source": IMPORT_ID,
        },
        {
            "event": "delivered",
            "at": "2023-11-13T09:34:56Z",
            "comment": "DELIVERED",
            "source": "dim_01JD5X7D3E5F7G9H1J3K5M7N9P",
        },
    ],
}
PEM_BODY: Final = "MIIBszCCAVmgAwIBAgIUUQ3x...\n"
CERTIFICATE: Final = {
    "id": CERTIFICATE_ID,
    "owner_id": USER_ID,
    "serial_number": "51d3c7a9e0f2b4d6a8c0e2f4a6b8d0f2a4c6e8b1",
    "common_name": "svc.example.com",
    "subject_alt_names": ["svc.example.com"],
    "not_before": NOW,
    "not_after": "2027-11-23T08:46:33Z",
    "status": "active",
    "fingerprint_sha256": "3b7e0c9a5d1f8e2b6c4a0d9f7e3b1c5a8d2f6e0b4c9a7d3f1e5b8c2a6d0f4e9b",
    "certificate_pem": f"-----BEGIN CERTIFICATE-----\n{PEM_BODY}-----END CERTIFICATE-----\n",
    "chain_pem": "-----BEGIN CERTIFICATE-----\n...intermediate...\n-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\n...root...\n-----END CERTIFICATE-----\n",
    "key_algorithm": "ec-p256",
    "revocation_reason": None,
    "revoked_at": None,
    "labels": {"environment": "production", "service": "payments-gateway"},
    "notify_days_before_expiry": [30, 7, 1],
    "renewal_of": None,
    "created_at": NOW,
}
CERTIFICATE_CREATED: Final = {
    **CERTIFICATE,
    "private_key_pem": "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49...\n"
    "-----END PRIVATE KEY-----\n",
}
FIRM: Final = {
    "id": FIRM_ID,
    "name": "Acme Cards",
    "slug": "acme",
    "status": "active",
    "auto_approve_registrations": False,
    "issuing_bin": "40001200",
    "issuing_bin_end": "40001299",
    "allow_ip_sans": False,
    "created_at": NOW,
}
DOMAIN: Final = {
    "id": "dom_01JD5XG1P3Q5R7S9T1V3W5X7Y9",
    "domain": "acme-cards.example",
    "firm": FIRM_ID,
    "created_at": NOW,
}
STAFF: Final = {
    "id": STAFF_ID,
    "email": "ops@acme.example",
    "role": "firm_operator",
    "firm": FIRM_ID,
    "created_at": NOW,
}
CLIENT: Final = {
    "client_id": CLIENT_ID,
    "name": "core banking",
    "scopes": ["cards:read", "cards:write", "deliveries:write"],
    "status": "active",
    "created_at": NOW,
    "disabled_at": None,
}
ENDPOINT: Final = {
    "id": ENDPOINT_ID,
    "url": "https://hooks.acme.example/tessera",
    "events": ["card_registration.approved", "transfer.completed"],
    "description": "Core banking",
    "created_at": NOW,
    "updated_at": NOW,
    "secret_rotated_at": None,
    "previous_secret_expires_at": None,
}
ENDPOINT_WITH_SECRET: Final = {
    **ENDPOINT,
    "secret": "whsec_q3Zs8Xb1Yk4Nw7Rt2Lm5Pv9Hd6Fg0Jc3Ue8Ia1Ko4",
}
ROTATED: Final = {
    **ENDPOINT_WITH_SECRET,
    "updated_at": LATER,
    "secret_rotated_at": LATER,
    "previous_secret_expires_at": "2026-11-24T08:47:02Z",
    "secret": "whsec_Tn6Qv2Wx9Zb4Yc7Ld1Mf5Pg8Rh3Sj0Kk6Ul2Vm9Xn5",
}
EVENT: Final = {
    "id": EVENT_ID,
    "type": "transfer.completed",
    "created_at": LATER,
    "firm": FIRM_ID,
    "data": TRANSFER,
}
DELIVERY: Final = {
    "id": "whd_01JD5XC7J9K1M3N5P7Q9R1S3T5",
    "endpoint_id": ENDPOINT_ID,
    "event_id": EVENT_ID,
    "event_type": "transfer.completed",
    "trigger": "event",
    "status": "pending",
    "attempt_count": 1,
    "next_attempt_at": "2026-11-23T08:47:14Z",
    "last_status_code": 503,
    "last_error": None,
    "delivered_at": None,
    "created_at": LATER,
    "attempts": [
        {
            "number": 1,
            "outcome": "failed",
            "status_code": 503,
            "duration_ms": 41,
            "error": None,
            "started_at": "2026-11-23T08:47:03Z",
            "next_retry_at": "2026-11-23T08:47:14Z",
        }
    ],
}
AUDIT_EVENT: Final = {
    "id": "aud_01JD5XD8K0M2N4P6Q8R0S2T4V6",
    "seq": 412,
    "firm_id": FIRM_ID,
    "actor_type": "user",
    "actor_id": STAFF_ID,
    "action": "vault.card_revealed",
    "target_type": "vault_card",
    "target_id": CARD_TOKEN,
    "request_id": "6f1c0a3e9b2d4c5f8e7a1b3c5d7e9f01",
    "ip_address": "203.0.113.7",
    "data": {"brand": "visa", "last4": "1111"},
    "created_at": NOW,
    "hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
}
CREDIT_CARD: Final = {
    "id": REGISTRATION_ID,
    "token": CARD_TOKEN,
    "card_number": "411111******1111",
    "brand": "visa",
    "exp_date": "2029-12-31",
    "holder_name": "Ada Lovelace",
    "status": "pending",
}


def page(*items: Any, total: int | None = None) -> dict[str, Any]:
    """A first page holding ``items``."""
    return {
        "items": list(items),
        "total": len(items) if total is None else total,
        "limit": 50,
        "offset": 0,
    }
