"""Test data made through the service's API, for browser tests that test something else.

A browser test drives the screen it is about; the firms, staff, courier imports and cards it
needs first are made here with plain HTTP calls, as a firm's own systems would make them.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.e2e.service import ADMIN_PASSWORD, LiveService, unique_email

SEED_DATA = Path(__file__).parents[1] / "deliveries" / "samples"
# The courier's sample files, imported unmodified; each line's card, phone and time is known.
SAMPLE_FILES = {
    "pickup": SEED_DATA / "Sample Card Status Info - Pickup.csv",
    "delivery_exception": SEED_DATA / "Sample Card Status Info - Delivery exceptions.csv",
    "delivered": SEED_DATA / "Sample Card Status Info - Delivered.csv",
    "returned": SEED_DATA / "Sample Card Status Info - Returned.csv",
}

_slugs = itertools.count(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(live_service: LiveService, email: str, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """The Authorization header of a fresh login."""
    answer = httpx.post(
        f"{live_service.base_url}/v1/auth/login",
        json={"email": email, "password": password},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return bearer(str(answer.json()["access_token"]))


def call(
    live_service: LiveService,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    expect: int,
    **kwargs: Any,
) -> Any:
    """One API call that must answer ``expect``; its JSON (None for 204)."""
    answer = httpx.request(
        method, f"{live_service.base_url}{path}", headers=headers, timeout=30, **kwargs
    )
    assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
    return None if answer.status_code == 204 else answer.json()


@dataclass(frozen=True)
class Firm:
    """A partner firm made for one group of tests, with its first firm admin."""

    id: str
    slug: str
    admin_email: str
    admin: dict[str, str]  # the admin's Authorization header

    def grant(self, live_service: LiveService, role: str) -> str:
        """A new staff user of the firm with ``role``; their email (password ADMIN_PASSWORD)."""
        email = unique_email(role.replace("_", "-"))
        call(
            live_service,
            "POST",
            f"/v1/firms/{self.id}/staff",
            self.admin,
            expect=201,
            json={"email": email, "role": role, "password": ADMIN_PASSWORD},
        )
        return email

    def customer(self, live_service: LiveService, **fields: Any) -> str:
        """A customer who signed up at this firm; their email (password PASSWORD)."""
        return str(live_service.signup(firm=self.slug, **fields)["user"]["email"])


def create_firm(live_service: LiveService, platform_admin: str, name: str) -> Firm:
    """A new firm (by the platform admin) and its admin (made through the staff API)."""
    headers = login(live_service, platform_admin)
    slug = f"{name}-{os.getpid()}-{next(_slugs)}"
    firm = call(
        live_service, "POST", "/v1/firms", headers, expect=201, json={"name": name, "slug": slug}
    )
    admin_email = unique_email("firm-admin")
    call(
        live_service,
        "POST",
        f"/v1/firms/{firm['id']}/staff",
        headers,
        expect=201,
        json={"email": admin_email, "role": "firm_admin", "password": ADMIN_PASSWORD},
    )
    return Firm(
        id=str(firm["id"]),
        slug=slug,
        admin_email=admin_email,
        admin=login(live_service, admin_email),
    )


def import_courier_file(
    live_service: LiveService, headers: dict[str, str], name: str, content: bytes
) -> dict[str, Any]:
    """Upload a courier CSV file as the API's multipart ``file``; the import report."""
    report: dict[str, Any] = call(
        live_service,
        "POST",
        "/v1/deliveries/imports",
        headers,
        expect=201,
        files={"file": (name, content, "text/csv")},
    )
    assert report["status"] == "completed", report
    return report


def register_card(
    live_service: LiveService, headers: dict[str, str], number: str, cardholder_name: str
) -> dict[str, Any]:
    """Register a card (expiring 12/39) as whoever ``headers`` log in; the registration."""
    registration: dict[str, Any] = call(
        live_service,
        "POST",
        "/v1/card-registrations",
        headers,
        expect=201,
        json={"card_number": number, "expiry_date": "12/39", "cardholder_name": cardholder_name},
    )
    return registration
