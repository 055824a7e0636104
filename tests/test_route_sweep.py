"""Every route of the app, classified; every route that takes an object id, tried as outsiders.

``ROUTES`` says, for each route of ``app.routes``, who may call it: anyone (public), any
authenticated caller, a caller holding a scope (and for some only firm staff), or the user- and
firm-management rules that tests/test_principal.py sweeps role by role; and which object id its
path takes. A route missing from the table fails the first test, so a new route cannot ship
without someone deciding this.

For each route that takes an object id, with a real object of the firm in the path:

- an admin of another firm gets 404 (it never learns that the object exists);
- another customer of the same firm gets 404 for a customer's object;
- a caller without the right gets 403: a machine client of the firm holding every scope but the
  one the route needs, and a customer on a staff-only route (the holder of the object; another
  customer of the firm still gets 404 for a customer's object);
- and, last, the object's holder (or the firm admin) gets past authorization, so the refusals
  above are about the caller and not a wrong id. Refused calls are checked to change nothing
  that the holder can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tessera.principal import ALL_SCOPES
from tests.support.api import Api, Caller
from tests.support.firms import create_tenant, platform_admin
from tests.support.objects import FirmObjects, make_objects
from tests.test_principal import SWEEPS


@dataclass(frozen=True)
class Access:
    """Who may call a route, and which object id its path takes."""

    # public | authenticated | scope | management (swept in tests/test_principal.py)
    kind: str
    scope: str | None = None
    # Only firm staff (and machine clients), never a customer.
    staff_only: bool = False
    # The path parameter naming the object, and whose object it is: a customer's ("holder")
    # or the firm's ("firm").
    object: str | None = None
    owner: str = "firm"
    # The JSON body of a call in the sweep (one that passes validation).
    body: dict[str, Any] | None = None


PUBLIC = Access("public")
AUTHENTICATED = Access("authenticated")
MANAGEMENT = Access("management")


def scope(name: str, **fields: Any) -> Access:
    return Access("scope", scope=name, **fields)


def customer_object(scope_name: str, parameter: str, **fields: Any) -> Access:
    return Access("scope", scope=scope_name, object=parameter, owner="holder", **fields)


def firm_object(scope_name: str, parameter: str, **fields: Any) -> Access:
    return Access("scope", scope=scope_name, object=parameter, staff_only=True, **fields)


ROUTES: dict[str, Access] = {
    # The document, its viewer, metrics, health and the public PKI.
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /v1/health": PUBLIC,
    "GET /v1/pki/ca.pem": PUBLIC,
    "GET /v1/pki/crl.pem": PUBLIC,
    # A firm's CA chain is public by design (relying parties fetch it without a token).
    "GET /v1/pki/firms/{firm_id}/ca.pem": PUBLIC,
    # Logging in and its kin authenticate by what they are sent.
    "POST /v1/auth/signup": PUBLIC,
    "POST /v1/auth/login": PUBLIC,
    "POST /v1/auth/refresh": PUBLIC,
    "POST /v1/auth/refresh/sessions": PUBLIC,
    # The web app's logout: the refresh cookie is the credential, checked against the id.
    "DELETE /v1/auth/refresh/sessions/{user_id}": PUBLIC,
    "POST /v1/oauth/token": PUBLIC,
    "POST /v1/auth/logout": AUTHENTICATED,
    "GET /v1/auth/me": AUTHENTICATED,
    # Users, staff, clients, firms and their domains: tests/test_principal.py, role by role.
    "DELETE /v1/users/{user_id}": MANAGEMENT,
    "POST /v1/firms": MANAGEMENT,
    "GET /v1/firms": MANAGEMENT,
    "GET /v1/firms/{firm_id}": MANAGEMENT,
    "PATCH /v1/firms/{firm_id}": MANAGEMENT,
    "POST /v1/firms/{firm_id}/staff": MANAGEMENT,
    "GET /v1/firms/{firm_id}/staff": MANAGEMENT,
    "DELETE /v1/firms/{firm_id}/staff/{user_id}": MANAGEMENT,
    "POST /v1/firms/{firm_id}/clients": MANAGEMENT,
    "GET /v1/firms/{firm_id}/clients": MANAGEMENT,
    "DELETE /v1/firms/{firm_id}/clients/{client_id}": MANAGEMENT,
    "POST /v1/firms/{firm_id}/domains": MANAGEMENT,
    "GET /v1/firms/{firm_id}/domains": MANAGEMENT,
    "DELETE /v1/firms/{firm_id}/domains/{domain_id}": MANAGEMENT,
    # Holders, accounts, money.
    "GET /v1/account-holders": scope("accounts:read"),
    "GET /v1/account-holders/{holder_id}": customer_object("accounts:read", "holder_id"),
    "POST /v1/accounts": scope("accounts:write"),
    "GET /v1/accounts": scope("accounts:read"),
    "GET /v1/accounts/{account_id}": customer_object("accounts:read", "account_id"),
    "PATCH /v1/accounts/{account_id}": customer_object(
        "accounts:write", "account_id", body={"name": "Swept"}
    ),
    "POST /v1/transactions": scope("accounts:write"),
    "GET /v1/transactions": scope("accounts:read"),
    "POST /v1/transfers": scope("accounts:write"),
    "GET /v1/transfers/{transfer_id}": customer_object("accounts:read", "transfer_id"),
    "GET /v1/statements/{account_id}": customer_object("accounts:read", "account_id"),
    # Cards, registrations, the vault.
    "POST /v1/cards": scope("cards:write"),
    "GET /v1/cards": scope("cards:read"),
    "GET /v1/cards/{card_id}": customer_object("cards:read", "card_id"),
    "PATCH /v1/cards/{card_id}": customer_object(
        "cards:write", "card_id", body={"status": "blocked"}
    ),
    "POST /v1/card-registrations": scope("cards:write"),
    "GET /v1/card-registrations": scope("cards:read"),
    "GET /v1/card-registrations/{registration_id}": customer_object(
        "cards:read", "registration_id"
    ),
    # A customer's registration, decided by the firm: its holder gets 403, anyone else 404.
    "POST /v1/card-registrations/{registration_id}/approve": customer_object(
        "cards:write", "registration_id", staff_only=True, body={"reason": "Swept."}
    ),
    "POST /v1/card-registrations/{registration_id}/reject": customer_object(
        "cards:write", "registration_id", staff_only=True, body={"reason": "Swept."}
    ),
    "GET /v1/vault/cards/{token}": customer_object("cards:read", "token"),
    # cards:reveal is a scope no customer holds: the holder of the card is refused too.
    "POST /v1/vault/cards/{token}/reveal": firm_object("cards:reveal", "token"),
    # Courier files and card status.
    "POST /v1/deliveries/imports": scope("deliveries:write"),
    "GET /v1/deliveries/imports": scope("deliveries:read", staff_only=True),
    "GET /v1/deliveries/imports/{import_id}": firm_object("deliveries:read", "import_id"),
    "GET /v1/deliveries/imports/{import_id}/errors": firm_object("deliveries:read", "import_id"),
    "GET /v1/deliveries/imports/{import_id}/warnings": firm_object("deliveries:read", "import_id"),
    "GET /v1/card-status": scope("deliveries:read"),
    # Certificates.
    "POST /v1/certificates": scope("certificates:write"),
    "GET /v1/certificates": scope("certificates:read"),
    "GET /v1/certificates/{certificate_id}": customer_object("certificates:read", "certificate_id"),
    "POST /v1/certificates/{certificate_id}/renew": customer_object(
        "certificates:write", "certificate_id", body={"validity_days": 30}
    ),
    "PATCH /v1/certificates/{certificate_id}": customer_object(
        "certificates:write",
        "certificate_id",
        body={"status": "revoked", "revocation_reason": "key_compromise"},
    ),
    # Webhooks and the events they carry.
    "POST /v1/webhook-endpoints": scope("webhooks:manage"),
    "GET /v1/webhook-endpoints": scope("webhooks:manage"),
    "GET /v1/webhook-endpoints/{endpoint_id}": firm_object("webhooks:manage", "endpoint_id"),
    "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret": firm_object(
        "webhooks:manage", "endpoint_id", body={}
    ),
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries": firm_object(
        "webhooks:manage", "endpoint_id"
    ),
    "GET /v1/events": scope("webhooks:manage"),
    "GET /v1/events/{event_id}": firm_object("webhooks:manage", "event_id"),
    "POST /v1/events/{event_id}/redeliver": firm_object("webhooks:manage", "event_id", body={}),
    # Deleting the endpoint comes after every other call that needs it.
    "DELETE /v1/webhook-endpoints/{endpoint_id}": firm_object("webhooks:manage", "endpoint_id"),
    "GET /v1/audit-events": scope("audit:read"),
    # The source documents' paths.
    "POST /api/v1/credit-card": scope("cards:write"),
    "GET /api/v1/credit-card": scope("cards:read"),
    "GET /api/v1/credit-card/{card_number}": customer_object("cards:read", "card_number"),
    "POST /register": scope("cards:write"),
    "GET /status/{registration_id}": customer_object("cards:read", "registration_id"),
    "GET /get_card_status": scope("deliveries:read"),
}


def app_routes(app: FastAPI) -> set[str]:
    """``METHOD path`` of every route the app answers (HEAD, which GET implies, left out)."""
    return {
        f"{method} {context.path}"
        for context in iter_route_contexts(app.routes)
        for method in (context.methods or ())
        if method != "HEAD"
    }


class TestEveryRouteIsClassified:
    def test_the_table_names_exactly_the_apps_routes(self, app: FastAPI) -> None:
        routes = app_routes(app)
        assert sorted(routes - ROUTES.keys()) == [], "classify each new route in ROUTES"
        assert sorted(ROUTES.keys() - routes) == [], "ROUTES names a route the app lacks"

    def test_each_route_is_classified_consistently(self) -> None:
        scopes = {scope.value for scope in ALL_SCOPES}
        for route, access in ROUTES.items():
            path = route.split(" ", 1)[1]
            assert access.kind in {"public", "authenticated", "scope", "management"}, route
            assert (access.scope in scopes) == (access.kind == "scope"), route
            if access.object is not None:
                assert "{" + access.object + "}" in path, route
            elif access.kind == "scope":
                assert "{" not in path, f"{route}: say which object its path takes"

    def test_the_management_routes_are_the_ones_swept_by_role(self) -> None:
        management = {route for route, access in ROUTES.items() if access.kind == "management"}
        assert management == {sweep.route for sweep in SWEEPS}


@dataclass
class World:
    """The objects of one firm, and the callers who try them."""

    objects: FirmObjects
    other_customer: Caller
    stranger: Caller
    clients: dict[str, Caller]

    def without(self, scope: str) -> Caller:
        """A machine client of the firm holding every scope but ``scope``."""
        if scope not in self.clients:
            held = sorted(s.value for s in ALL_SCOPES if s.value != scope)
            self.clients[scope] = self.objects.tenant.client(*held)
        return self.clients[scope]


def _world(api: Api) -> World:
    setup = platform_admin(api)
    tenant = create_tenant(api, setup)
    elsewhere = create_tenant(api, setup)
    return World(
        objects=make_objects(tenant),
        other_customer=tenant.customer(),
        stranger=elsewhere.admin,
        clients={},
    )


def _call(caller: Caller, route: str, access: Access, objects: FirmObjects) -> httpx.Response:
    method, template = route.split(" ", 1)
    kwargs: dict[str, Any] = {} if access.body is None else {"json": access.body}
    return caller.request(method, objects.path(template), **kwargs)


def _seen(caller: Caller, route: str, access: Access, objects: FirmObjects) -> Any:
    """What the object looks like to its holder or the firm (for a GET of the same path)."""
    method, template = route.split(" ", 1)
    if method == "GET":
        return None
    reader = objects.owner if access.owner == "holder" else objects.tenant.admin
    path = objects.path(template)
    for suffix in ("/approve", "/reject", "/reveal", "/renew", "/rotate-secret", "/redeliver"):
        path = path.removesuffix(suffix)
    seen = reader.get(path)
    return seen.status_code, seen.json() if seen.status_code == 200 else None


OBJECT_ROUTES = [route for route, access in ROUTES.items() if access.object is not None]
OUTSIDER_ROUTES = [r for r in OBJECT_ROUTES if ROUTES[r].kind != "public"]


class TestObjectRoutes:
    def test_outsiders_get_404_and_callers_without_the_right_get_403(self, api: Api) -> None:
        world = _world(api)
        objects = world.objects
        mismatches: list[str] = []
        tried = 0
        for route in OUTSIDER_ROUTES:
            access = ROUTES[route]
            assert access.scope is not None
            cases: list[tuple[str, Caller, int]] = [
                ("an admin of another firm", world.stranger, 404),
                ("a client without " + access.scope, world.without(access.scope), 403),
            ]
            if access.owner == "holder":
                cases.append(("another customer of the firm", world.other_customer, 404))
            if access.staff_only:
                cases.append(("the customer", objects.owner, 403))
                if access.owner == "firm":
                    cases.append(("another customer", world.other_customer, 403))
            for who, caller, want in cases:
                before = _seen(caller, route, access, objects)
                response = _call(caller, route, access, objects)
                tried += 1
                code = response.json().get("error", {}).get("code") if response.content else None
                expected_code = "not_found" if want == 404 else "forbidden"
                if (response.status_code, code) != (want, expected_code):
                    mismatches.append(f"{route} as {who}: {response.status_code} {response.text}")
                elif _seen(caller, route, access, objects) != before:
                    mismatches.append(f"{route} as {who}: refused, but changed the object")
        # The holder (or the firm's admin for the firm's objects) gets past authorization.
        for route in OUTSIDER_ROUTES:
            access = ROUTES[route]
            holder = access.owner == "holder" and not access.staff_only
            caller = objects.owner if holder else objects.tenant.admin
            response = _call(caller, route, access, objects)
            if response.status_code in (401, 403, 404) or response.status_code >= 500:
                mismatches.append(f"{route} as its holder: {response.status_code} {response.text}")
        assert mismatches == [], "\n".join(mismatches)
        assert tried >= 3 * len(OUTSIDER_ROUTES)

    @pytest.mark.parametrize(
        "route",
        [r for r, a in ROUTES.items() if a.kind == "scope" and a.object is None and "GET " in r],
    )
    def test_a_list_needs_its_scope(self, api: Api, route: str) -> None:
        access = ROUTES[route]
        assert access.scope is not None
        tenant = create_tenant(api)
        held = sorted(s.value for s in ALL_SCOPES if s.value != access.scope)
        # The query parameters some lists require, so that the scope is what is refused.
        query = {"account_id": "acc_unknown", "card_id": "ZYW8827"}
        response = tenant.client(*held).get(route.split(" ", 1)[1], params=query)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
