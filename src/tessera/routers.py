"""Every feature's router, in the order they appear in the API documentation."""

from __future__ import annotations

from fastapi import APIRouter

from tessera.accounts.router import router as accounts
from tessera.audit.router import router as audit
from tessera.auth.router import router as auth
from tessera.compat.card_status import router as compat_card_status
from tessera.deliveries.router import router as deliveries
from tessera.health.router import router as health
from tessera.holders.router import router as holders
from tessera.ledger.router import router as ledger

ROUTERS: list[APIRouter] = [
    auth,
    holders,
    accounts,
    ledger,
    deliveries,
    audit,
    health,
    compat_card_status,
]
