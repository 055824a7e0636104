"""Every SQLAlchemy model, imported here so that the metadata is complete."""

from tessera.models.account import Account
from tessera.models.account_holder import AccountHolder
from tessera.models.api_client import ApiClient
from tessera.models.audit_event import AuditChain, AuditEvent
from tessera.models.base import Base
from tessera.models.card import Card
from tessera.models.card_delivery_event import CardDeliveryEvent
from tessera.models.card_delivery_status import CardDeliveryStatus
from tessera.models.card_registration import CardRegistration
from tessera.models.certificate import Certificate, CertificateStatus, KeySource
from tessera.models.certificate_authority import (
    AuthorityKind,
    AuthorityStatus,
    CertificateAuthority,
)
from tessera.models.certificate_name import CertificateName
from tessera.models.delivery_import import DeliveryImport
from tessera.models.delivery_import_chunk import DeliveryImportChunk
from tessera.models.delivery_import_rejection import DeliveryImportRejection
from tessera.models.delivery_import_warning import DeliveryImportWarning
from tessera.models.delivery_partner import DeliveryPartner
from tessera.models.event import Event
from tessera.models.firm import DEFAULT_FIRM_ID, DEFAULT_FIRM_SLUG, Firm
from tessera.models.firm_domain import FirmDomain
from tessera.models.idempotency_key import IdempotencyKey
from tessera.models.login_session import LoginSession
from tessera.models.refresh_token import RefreshToken
from tessera.models.transaction import LedgerTransaction, TransactionType
from tessera.models.transfer import Transfer
from tessera.models.user import Role, User
from tessera.models.vault_card import VaultCard
from tessera.models.vault_key import VaultKey
from tessera.models.vault_key_rotation import VaultKeyRotation
from tessera.models.webhook_attempt import WebhookAttempt
from tessera.models.webhook_delivery import DeliveryStatus, DeliveryTrigger, WebhookDelivery
from tessera.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "DEFAULT_FIRM_ID",
    "DEFAULT_FIRM_SLUG",
    "Account",
    "AccountHolder",
    "ApiClient",
    "AuditChain",
    "AuditEvent",
    "AuthorityKind",
    "AuthorityStatus",
    "Base",
    "Card",
    "CardDeliveryEvent",
    "CardDeliveryStatus",
    "CardRegistration",
    "Certificate",
    "CertificateAuthority",
    "CertificateName",
    "CertificateStatus",
    "DeliveryImport",
    "DeliveryImportChunk",
    "DeliveryImportRejection",
    "DeliveryImportWarning",
    "DeliveryPartner",
    "DeliveryStatus",
    "DeliveryTrigger",
    "Event",
    "Firm",
    "FirmDomain",
    "IdempotencyKey",
    "KeySource",
    "LedgerTransaction",
    "LoginSession",
    "RefreshToken",
    "Role",
    "TransactionType",
    "Transfer",
    "User",
    "VaultCard",
    "VaultKey",
    "VaultKeyRotation",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
