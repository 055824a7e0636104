"""Every feature's router, in the order they appear in the API documentation."""

from __future__ import annotations

from fastapi import APIRouter

from tessera.accounts.router import router as accounts
from tessera.audit.router import router as audit
from tessera.auth.router import router as auth
from tessera.cards.router import router as cards
from tessera.certificates.router import domains_router as domains
from tessera.certificates.router import router as certificates
from tessera.clients.router import router as clients
from tessera.compat.card_status import router as compat_card_status
from tessera.compat.credit_cards import router as compat_credit_cards
from tessera.compat.registration_status import router as compat_registration_status
from tessera.deliveries.router import router as deliveries
from tessera.firms.router import router as firms
from tessera.health.router import router as health
from tessera.holders.router import router as holders
from tessera.ledger.router import router as ledger
from tessera.registrations.router import router as registrations
from tessera.staff.router import router as staff
from tessera.vault.router import router as vault
from tessera.webhooks.router import events_router as events
from tessera.webhooks.router import router as webhooks

ROUTERS: list[APIRouter] = [
    auth,
    holders,
    accounts,
    ledger,
    cards,
    registrations,
    vault,
    deliveries,
    certificates,
    firms,
    staff,
    clients,
    domains,
    webhooks,
    events,
    audit,
    health,
    compat_credit_cards,
    compat_registration_status,
    compat_card_status,
]
