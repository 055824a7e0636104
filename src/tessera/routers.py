"""Every feature's router, in the order they appear in the API documentation."""

from __future__ import annotations

from fastapi import APIRouter

from tessera.accounts.router import router as accounts
from tessera.audit.router import router as audit
from tessera.auth.router import router as auth
from tessera.certificates.router import router as certificates
from tessera.health.router import router as health
from tessera.holders.router import router as holders
from tessera.ledger.router import router as ledger

ROUTERS: list[APIRouter] = [
    auth,
    holders,
    accounts,
    ledger,
    certificates,
    audit,
    health,
]
