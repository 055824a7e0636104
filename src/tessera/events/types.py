"""Every event type the API documents; webhooks deliver them to firms' systems."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    ACCOUNT_CREATED = "account.created"
    TRANSACTION_CREATED = "transaction.created"
    TRANSFER_COMPLETED = "transfer.completed"
    CARD_ISSUED = "card.issued"
    CARD_STATUS_CHANGED = "card.status_changed"
    CARD_REGISTRATION_CREATED = "card_registration.created"
    CARD_REGISTRATION_APPROVED = "card_registration.approved"
    CARD_REGISTRATION_REJECTED = "card_registration.rejected"
    CARD_DELIVERY_STATUS_CHANGED = "card_delivery.status_changed"
    DELIVERY_IMPORT_COMPLETED = "delivery_import.completed"
    CERTIFICATE_ISSUED = "certificate.issued"
    CERTIFICATE_ACTIVATED = "certificate.activated"
    CERTIFICATE_DEACTIVATED = "certificate.deactivated"
    CERTIFICATE_REVOKED = "certificate.revoked"
    CERTIFICATE_EXPIRING = "certificate.expiring"
    USER_DELETED = "user.deleted"
