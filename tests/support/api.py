"""Test helpers over the HTTP API: sign up, log in, and call as someone."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from tessera.auth.service import create_staff_user
from tessera.kit.ids import new_id
from tessera.models import DEFAULT_FIRM_ID, Firm, Role
from tessera.runtime import Runtime

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass
class Caller:
    """Someone with an access token; ``headers`` authorise a request as them."""

    api: Api
    access_token: str
    refresh_token: str = ""
    user_id: str = ""
    holder_id: str | None = None
    email: str = ""
    firm_id: str = DEFAULT_FIRM_ID
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.api.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def relogin(self) -> None:
        """Log in again (after a test moved the clock past or before the token's life)."""
        tokens = self.api.login(self.email)
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    # --- banking shortcuts ----------------------------------------------------------------

    def open_account(self, currency: str = "USD", type: str = "checking", **body: Any) -> str:
        response = self.post("/v1/accounts", json={"type": type, "currency": currency, **body})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def deposit(self, account_id: str, amount: int, currency: str = "USD") -> dict[str, Any]:
        response = self.post(
            "/v1/transactions",
            json={
                "account_id": account_id,
                "type": "deposit",
                "amount": amount,
                "currency": currency,
            },
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def balance(self, account_id: str) -> int:
        response = self.get(f"/v1/accounts/{account_id}")
        assert response.status_code == 200, response.text
        return int(response.json()["balance"])


class Api:
    """The app under test, with ways to create the people who call it."""

    def __init__(self, client: TestClient, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime

    def unique_email(self, prefix: str = "user") -> str:
        return f"{prefix}{next(_counter)}@example.com"

    def signup(
        self, *, email: str | None = None, firm: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {
            "email": email or self.unique_email(),
            "password": PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "dob": "1990-12-10",
            **fields,
        }
        if firm is not None:
            body["firm"] = firm
        response = self.client.post("/v1/auth/signup", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.client.post("/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def customer(self, *, firm: str | None = None, **fields: Any) -> Caller:
        """A new customer of ``firm`` (slug; default firm otherwise), logged in."""
        created = self.signup(firm=firm, **fields)
        email = created["user"]["email"]
        tokens = self.login(email)
        return Caller(
            api=self,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            user_id=created["user"]["id"],
            holder_id=created["account_holder"]["id"],
            email=email,
            firm_id=created["user"]["firm"],
        )

    def staff(self, role: Role = Role.FIRM_ADMIN, *, firm_id: str = DEFAULT_FIRM_ID) -> Caller:
        """A new staff user (or platform admin) of ``firm_id``, logged in."""
        email = self.unique_email(role.value.replace("_", "-"))
        with self.runtime.db.session_scope() as session:
            user = create_staff_user(
                session,
                self.runtime.passwords,
                email=email,
                password=PASSWORD,
                firm_id=firm_id,
                role=role,
                now=self.runtime.now(),
            )
            user_id = user.id
        tokens = self.login(email)
        return Caller(
            api=self,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            user_id=user_id,
            email=email,
            firm_id=firm_id,
        )

    def create_firm(self, slug: str | None = None, **fields: Any) -> Firm:
        """A firm created directly in the database (the firms API arrives with cards)."""
        slug = slug or f"firm-{next(_counter)}"
        with self.runtime.db.session_scope() as session:
            firm = Firm(
                id=new_id("firm"),
                name=fields.pop("name", slug.title()),
                slug=slug,
                status="active",
                auto_approve_registrations=fields.pop("auto_approve_registrations", False),
                issuing_bin=fields.pop("issuing_bin", "400013"),
                phone_region="AE",
                timezone="Asia/Dubai",
                created_at=self.runtime.now(),
                **fields,
            )
            session.add(firm)
        return firm


def adult_dob() -> str:
    """A date of birth comfortably in the past."""
    return date(1985, 6, 15).isoformat()
