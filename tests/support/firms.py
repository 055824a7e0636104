"""Firms, their staff and machine clients, made through the API as a platform admin would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tessera.models import Role
from tests.support.api import PASSWORD, Api, Caller

_counter = itertools.count(1)


@dataclass
class Tenant:
    """A firm made through the API, with a firm admin logged in."""

    firm: dict[str, Any]
    admin: Caller

    @property
    def id(self) -> str:
        return str(self.firm["id"])

    @property
    def slug(self) -> str:
        return str(self.firm["slug"])

    def staff(self, role: str = "firm_operator") -> Caller:
        """A new staff user of this firm with ``role``, granted by the admin, logged in."""
        email = self.admin.api.unique_email(role.replace("_", "-"))
        granted = self.admin.post(
            f"/v1/firms/{self.id}/staff",
            json={"email": email, "role": role, "password": PASSWORD},
        )
        assert granted.status_code == 201, granted.text
        return login(self.admin.api, email, firm_id=self.id)

    def client(self, *scopes: str, scope: str | None = None) -> Caller:
        """A machine client of this firm with ``scopes``, holding a fresh access token."""
        return machine_client(self.admin, self.id, list(scopes), scope=scope)

    def customer(self, **fields: Any) -> Caller:
        """A customer who signed up with this firm's slug."""
        return self.admin.api.customer(firm=self.slug, **fields)


def login(api: Api, email: str, *, firm_id: str) -> Caller:
    """Log ``email`` in and return a caller."""
    tokens = api.login(email)
    me = api.client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    return Caller(
        api=api,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        user_id=me["user"]["id"],
        email=email,
        firm_id=firm_id,
    )


def platform_admin(api: Api) -> Caller:
    """A platform admin, created as `tessera admin create` does, logged in."""
    return api.staff(Role.PLATFORM_ADMIN)


def create_tenant(api: Api, admin: Caller | None = None, **settings: Any) -> Tenant:
    """A firm created with POST /v1/firms and its first firm admin granted through the API."""
    admin = admin or platform_admin(api)
    slug = settings.pop("slug", f"tenant-{next(_counter)}")
    created = admin.post("/v1/firms", json={"name": slug.title(), "slug": slug, **settings})
    assert created.status_code == 201, created.text
    firm = created.json()
    email = api.unique_email("firm-admin")
    granted = admin.post(
        f"/v1/firms/{firm['id']}/staff",
        json={"email": email, "role": "firm_admin", "password": PASSWORD},
    )
    assert granted.status_code == 201, granted.text
    return Tenant(firm=firm, admin=login(api, email, firm_id=firm["id"]))


def machine_client(
    creator: Caller, firm_id: str, scopes: list[str], *, scope: str | None = None
) -> Caller:
    """Create a client with ``scopes`` and exchange its credentials for a token."""
    created = creator.post(
        f"/v1/firms/{firm_id}/clients", json={"name": f"client {next(_counter)}", "scopes": scopes}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    form = {
        "grant_type": "client_credentials",
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
    }
    if scope is not None:
        form["scope"] = scope
    token = creator.api.client.post("/v1/oauth/token", data=form)
    assert token.status_code == 200, token.text
    return Caller(
        api=creator.api,
        access_token=token.json()["access_token"],
        user_id=body["client_id"],
        firm_id=firm_id,
        extra={"client_secret": body["client_secret"], "scope": token.json()["scope"]},
    )
