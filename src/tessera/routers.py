"""Every feature's router, in the order they appear in the API documentation."""

from __future__ import annotations

from fastapi import APIRouter

from tessera.accounts.router import router as accounts
from tessera.audit.router import router as audit
from tessera.auth.router import router as auth
from tessera.health.router import router as health
from tessera.holders.router import router as holders
from tessera.ledger.router import router as ledger
from tessera.webhooks.router import events_router as events
from tessera.webhooks.router import router as webhooks

ROUTERS: list[APIRouter] = [
    auth,
    holders,
    accounts,
    ledger,
    webhooks,
    events,
    audit,
    health,
]
